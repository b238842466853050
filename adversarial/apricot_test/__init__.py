"""APRICOT test partition builder (armory adversarial dataset)."""
