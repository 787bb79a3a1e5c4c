"""There is no other door: only the contact flows, after asking the guard, create contact attempts."""

from __future__ import annotations

import ast
from pathlib import Path

import arrears

SOURCE = Path(arrears.__file__).parent


def _calls(name: str) -> list[str]:
    """Every module (relative path) that calls ``name(...)`` or ``something.name(...)``."""
    found = []
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if called == name:
                    found.append(str(path.relative_to(SOURCE)))
    return sorted(set(found))


def test_contact_attempts_are_built_only_by_the_contact_service() -> None:
    assert _calls("ContactAttempt") == ["contact/service.py"]


def _imports_contact_service(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module == "arrears.contact.service":
                return True
            if node.module == "arrears.contact" and any(alias.name == "service" for alias in node.names):
                return True
    return False


def test_the_contact_service_is_asked_to_create_only_by_the_flow_that_asks_the_guard_first() -> None:
    creators = []
    for path in SOURCE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if _imports_contact_service(tree) and "create" in _called_names(tree):
            creators.append(str(path.relative_to(SOURCE)))
    assert creators == ["contact/flows.py"]
    flow = (SOURCE / "contact" / "flows.py").read_text(encoding="utf-8")
    assert flow.index("compliance.check_contact(") < flow.index("service.create(")


def _called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names.add(node.func.attr)
    return names


def test_nothing_inserts_contact_attempts_in_bulk() -> None:
    offenders = []
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "insert(ContactAttempt" in text or ("contact_attempts" in text and "INSERT INTO" in text.upper()):
            offenders.append(str(path.relative_to(SOURCE)))
    # Benchmarks fabricate a year of past history for timing dashboards: they contact
    # no one, are run only by `make bench-*`, and nothing in the product imports them.
    allowed = ("db/migrations", "bench/")
    assert [p for p in offenders if not p.startswith(allowed)] == []


def test_the_product_never_imports_the_benchmarks() -> None:
    importers = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if not str(path.relative_to(SOURCE)).startswith("bench/")
        and (
            "from arrears.bench" in path.read_text(encoding="utf-8")
            or "import arrears.bench" in path.read_text(encoding="utf-8")
        )
    ]
    assert importers == []
