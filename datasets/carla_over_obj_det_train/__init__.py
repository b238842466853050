"""CARLA overhead-view object detection, train/val (armory builder)."""
