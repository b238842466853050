"""CARLA overhead-view green-screen object detection, dev split (armory builder)."""
