"""carla_video_tracking_dev: CARLA single-object tracking videos with a green-screen patch (dev split)."""
