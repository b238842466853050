"""Reading code shared by the builder folders in datasets/ and adversarial/, one module per dataset family.

Builders import e.g. `from dsbuild.families import apricot` (the project is installed, so `tfds build
<folder>` finds it from any working directory). This package imports nothing itself: each family
module imports TFDS, numpy or PIL only if it uses them.
"""
