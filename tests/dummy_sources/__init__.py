"""Dummy source-data generators shared by the builder folders' dummy_data/make.py scripts and tests."""
