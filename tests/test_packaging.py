"""What the code imports is what a plain install brings: ``make demo`` installs without the dev extra."""

from __future__ import annotations

import ast
import functools
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SOURCE = Path(__file__).parents[1] / "src" / "arrears"
EXTRA_OF = {"bench": "bench"}
"""Sub-packages run only with an extra installed (``make bench-web`` installs ``.[bench]``)."""


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"arrears", "__future__"}


@functools.cache
def _installed_with(extra: str | None) -> frozenset[str]:
    """Every distribution ``pip install arrears`` (with ``extra``) brings, requirements of requirements included."""
    found: set[str] = set()
    pending = [("arrears", extra)]
    while pending:
        name, wanted = pending.pop()
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": wanted or ""}):
                continue
            key = canonicalize_name(requirement.name)
            if key not in found:
                found.add(key)
                pending.append((requirement.name, None))
    return frozenset(found)


def test_every_third_party_import_is_a_declared_dependency() -> None:
    owners = metadata.packages_distributions()
    missing = []
    for path in sorted(SOURCE.rglob("*.py")):
        extra = EXTRA_OF.get(path.relative_to(SOURCE).parts[0])
        installed = _installed_with(extra)
        for module in sorted(_imported(path)):
            distributions = {canonicalize_name(name) for name in owners.get(module, [module])}
            if not distributions & installed:
                missing.append(f"{path.relative_to(SOURCE)} imports {module} ({', '.join(sorted(distributions))})")
    assert not missing, "imported but not installed by `pip install arrears`:\n" + "\n".join(missing)
