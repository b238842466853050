"""CARLA street-level object detection, train/val (armory builder)."""
