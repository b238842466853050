"""dsbuild: build, pack, publish and restore ARMORY datasets with TensorFlow Datasets.

Nothing heavy is imported here: the entry scripts' `-h` must answer instantly.
"""
