"""D-APRICOT dev partition builder (armory adversarial dataset)."""
