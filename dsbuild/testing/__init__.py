"""Testing support installed with dsbuild, so a builder folder copied anywhere can make its dummy data and test.

`archive` writes deterministic archives; `make` is the command line of every `dummy_data/make.py`;
`dummy.<family>` write each family's fake sources; `checks.<family>` are mixins for the builder tests.
Importing this package is light; its modules import numpy, PIL or TFDS where they need them.
"""
