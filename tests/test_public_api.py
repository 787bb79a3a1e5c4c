"""Every package's ``__all__`` is its public API: each name in it must import."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import arrears

PACKAGES = sorted(module.name for module in pkgutil.walk_packages(arrears.__path__, prefix="arrears.") if module.ispkg)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_imports(package: str) -> None:
    module = importlib.import_module(package)
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"{package}.__all__ names {name}, which it does not define"


def test_the_core_packages_declare_their_public_api() -> None:
    core = [
        "arrears.ledger",
        "arrears.delinquency",
        "arrears.portfolio",
        "arrears.cases",
        "arrears.org",
        "arrears.db",
        "arrears.compliance",
        "arrears.compliance.lint",
        "arrears.scripts.intents",
        "arrears.contact",
        "arrears.strategy",
        "arrears.jobs",
    ]
    missing = [package for package in core if not getattr(importlib.import_module(package), "__all__", None)]
    assert not missing
