"""Arrears: a compliance-first debt collection platform (催收平台)."""

__version__ = "0.1.0"
