"""carla_video_tracking_test: CARLA single-object tracking videos with a green-screen patch (test split)."""
