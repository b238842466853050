"""Mixins and checks shared by the builder folders' tests, one module per builder family."""
