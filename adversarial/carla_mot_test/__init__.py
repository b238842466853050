"""carla_mot_test: CARLA multi-object tracking videos with a static green-screen patch (test split)."""
