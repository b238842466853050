"""CARLA street-level green-screen object detection, dev split (armory builder)."""
