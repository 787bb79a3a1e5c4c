"""Scripts as YAML, so that a team can review them in git (导入导出).

The format (docs/scripts.md)::

    defaults:                       # optional: hotline and payment channels (ScriptSettings)
      hotline: 400-820-1234
      payment_channels: {zh-CN: [官方APP], zh-TW: [官方APP], en: [the official app]}
    scripts:
      - key: early/debtor/introduce/-/-
        effective_from: 2026-01-01  # optional on import
        texts: {zh-CN: ..., zh-TW: ..., en: ...}

An export also writes each script's ``version``, ``status``, ``author`` and
``approver``; an import ignores them (what is imported is always a new draft).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from arrears.errors import ArrearsError, InvalidInput
from arrears.files import read_text
from arrears.scripts.library import flows, service
from arrears.scripts.library.context import ScriptSettings
from arrears.scripts.library.enums import ScriptStatus
from arrears.scripts.library.models import Script


class ScriptEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    texts: dict[str, str] = Field(min_length=1)
    effective_from: date | None = None
    version: int | None = None
    status: ScriptStatus | None = None
    author: str | None = None
    approver: str | None = None


class LibraryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: ScriptSettings | None = None
    scripts: list[ScriptEntry] = Field(default_factory=list)


class ImportReport(BaseModel):
    saved: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)


def parse_library(text: str, *, source: str) -> LibraryFile:
    """A library file; an error names the file and, when it can, the entry's key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInput(f"not valid YAML: {' '.join(str(error).split())}", where=source) from None
    try:
        library = LibraryFile.model_validate(data or {})
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidInput(
            f"{_where(data, first['loc'])}{first['msg']}", where=source, hint="see docs/scripts.md for the format"
        ) from None
    _refuse_duplicates(library, source)
    return library


def export_yaml(*, db_session: Session, tenant_id: int | None, defaults: ScriptSettings | None = None) -> str:
    """The newest version of every key that is not retired, as a library file."""
    scripts = service.get_current(db_session=db_session, tenant_id=tenant_id)
    library = LibraryFile(defaults=defaults, scripts=[_entry(script) for script in scripts])
    data = library.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)


def import_yaml(
    *, db_session: Session, path: Path, author: str, tenant_id: int | None, effective_from: date
) -> ImportReport:
    """Save every script of the file as a draft through ``save_draft``; unchanged texts add no version."""
    library = parse_library(read_text(path, what="a script library YAML file"), source=str(path))
    report = ImportReport()
    for entry in library.scripts:
        script_in = flows.ScriptIn(
            key=entry.key, tenant_id=tenant_id, effective_from=entry.effective_from or effective_from
        )
        before = service.get_latest(db_session=db_session, tenant_id=tenant_id, key=entry.key.strip())
        try:
            script = flows.save_draft(
                db_session=db_session, script_in=script_in, texts_by_locale=entry.texts, author=author
            )
        except InvalidInput as error:
            raise InvalidInput(error.message, where=f"{path}: {entry.key}", hint=error.hint) from None
        except ArrearsError as error:
            raise InvalidInput(error.one_line(), where=f"{path}: {entry.key}") from None
        (report.unchanged if before is not None and script.id == before.id else report.saved).append(entry.key)
    return report


def _entry(script: Script) -> ScriptEntry:
    return ScriptEntry(
        key=script.key,
        effective_from=script.effective_from,
        version=script.version,
        status=script.status,
        author=script.author,
        approver=script.approver,
        texts={entry.locale: entry.template for entry in script.texts},
    )


def _refuse_duplicates(library: LibraryFile, source: str) -> None:
    seen: set[str] = set()
    for entry in library.scripts:
        if entry.key in seen:
            raise InvalidInput(f"script key {entry.key} appears twice", where=source)
        seen.add(entry.key)


def _where(data: object, loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "scripts" and isinstance(loc[1], int) and isinstance(data, dict):
        entries = data.get("scripts")
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        key = entry.get("key") if isinstance(entry, dict) else None
        rest = ".".join(str(part) for part in loc[2:])
        return f"script {key or f'#{loc[1] + 1}'}{' ' + rest if rest else ''}: "
    return f"{'.'.join(str(part) for part in loc)}: " if loc else ""
