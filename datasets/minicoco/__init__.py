"""minicoco builder: COCO 2017 restricted to airplane, bus and train (armory poisoning experiments)."""
