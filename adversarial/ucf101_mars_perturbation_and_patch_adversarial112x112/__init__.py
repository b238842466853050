"""UCF101 perturbation and patch adversarial videos against MARS, 112x112 frames (ARMORY)."""
