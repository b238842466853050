"""UCF101 re-extracted with high-quality JPEG frames (ARMORY standard dataset)."""
