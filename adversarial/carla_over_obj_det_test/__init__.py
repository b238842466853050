"""CARLA overhead-view green-screen object detection, test splits (armory builder)."""
