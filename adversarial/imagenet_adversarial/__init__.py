"""ILSVRC12 images with targeted PGD adversarial counterparts for ResNet50 (ARMORY adversarial dataset)."""
