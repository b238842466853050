"""carla_mot_dev: CARLA multi-object tracking videos with a static green-screen patch (dev split)."""
