"""CARLA street-level green-screen object detection, test split (armory builder)."""
