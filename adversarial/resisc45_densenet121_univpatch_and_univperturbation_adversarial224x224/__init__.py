"""RESISC45 universal patch / universal perturbation adversarial images against DenseNet121 (ARMORY)."""
