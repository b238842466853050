"""GTSRB bullet-hole poison samples for MicronNet (ARMORY adversarial dataset)."""
