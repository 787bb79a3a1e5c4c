"""The hash chain over the audit log (审计日志哈希链). Pure: no I/O, no clock.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting or reordering any entry breaks every link after it. The serialisation is a
compact JSON array with a fixed field order: unambiguous (no delimiter can be smuggled
into a field) and identical whichever database the values were read back from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


class DetailsNotChainable(TypeError):
    """Audit details hold a value that would not read back identically from the database."""


@dataclass(frozen=True, slots=True)
class ChainFields:
    """The fields of one audit entry that its hash covers, in chain order."""

    seq: int
    prev_hash: str
    occurred_at: datetime
    tenant_id: int | None
    actor_user_id: int | None
    actor: str
    action: str
    subject_type: str
    subject_id: str | None
    origin: str | None
    details: Mapping[str, Any]


ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ChainFields) if f.name not in ("seq", "prev_hash"))
"""The columns an entry's writer gives and its hash covers (the chain adds seq and prev_hash)."""


def canonical_time(moment: datetime) -> str:
    """UTC, ISO 8601, always with microseconds: both back ends keep exactly this precision."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be time-zone aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""One encoder for every call: ``json.dumps`` with options builds a new encoder each time it is called."""


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def serialise(fields: ChainFields) -> bytes:
    return serialise_values(fields.seq, fields.prev_hash, canonical_time(fields.occurred_at), fields)


def serialise_values(seq: int, prev_hash: str, occurred_at: str, values: Any) -> bytes:
    """The canonical serialisation from an entry's fields given as a mapping or as attributes.

    ``occurred_at`` comes already in canonical form, so a batch of entries stamped
    at one instant formats it once (``link``).
    """
    get = values.__getitem__ if isinstance(values, Mapping) else values.__getattribute__
    payload = [
        seq,
        prev_hash,
        occurred_at,
        get("tenant_id"),
        get("actor_user_id"),
        get("actor"),
        get("action"),
        get("subject_type"),
        get("subject_id"),
        get("origin"),
        get("details"),
    ]
    return _CANONICAL.encode(payload).encode("utf-8")


def entry_hash(fields: ChainFields) -> str:
    """SHA-256 hex of the canonical serialisation."""
    return hashlib.sha256(serialise(fields)).hexdigest()


def link(seq: int, prev_hash: str, values: Mapping[str, Any], times: dict[datetime, str]) -> str:
    """The hash of the entry at ``seq`` with the fields in ``values`` (the keys of ``ENTRY_FIELDS``).

    The same hash as ``entry_hash(ChainFields(seq=seq, prev_hash=prev_hash, **values))``
    without building the dataclass; ``times`` caches the canonical form of each
    instant already seen in the batch.
    """
    moment = values["occurred_at"]
    stamp = times.get(moment)
    if stamp is None:
        stamp = times[moment] = canonical_time(moment)
    return hashlib.sha256(serialise_values(seq, prev_hash, stamp, values)).hexdigest()


def check_details(details: Mapping[str, Any]) -> None:
    """Refuse values that JSON would change on the way through the database.

    Floats lose digits or change form, ``Decimal`` and dates are not JSON at all, tuples
    come back as lists and non-string keys come back as strings: any of these would make
    a genuine row fail verification later. Money belongs in details as a string.
    """
    _check_value(details, "details")


def _check_value(value: Any, path: str) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise DetailsNotChainable(f"{path} has a non-string key {key!r}; use strings")
            _check_value(item, f"{path}.{key}")
        return
    hint = " (money goes in as a string)" if type(value).__name__ in ("float", "Decimal") else ""
    raise DetailsNotChainable(
        f"{path} is a {type(value).__name__}, which does not round-trip through JSON exactly{hint}"
    )
