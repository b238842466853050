"""Dummy source-data writers, one module per builder family: each returns {archive-relative path: bytes}."""
