"""Letters handed to the print vendor: each PDF copied into a dated drop folder with a manifest line.

The file name is the message's idempotency key, so handing the same letter over
twice leaves one file and one manifest line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from arrears.comms.channels.base import Outgoing, PermanentFailure, Receipt, TemporaryFailure

MANIFEST = "manifest.jsonl"


class PrintBatchChannel:
    name = "print_batch"

    def __init__(self, *, directory: Path) -> None:
        self.directory = directory

    def send(self, outgoing: Outgoing) -> Receipt:
        if outgoing.document is None or not outgoing.document.is_file():
            raise PermanentFailure("the letter has no rendered PDF: run `arrears letters render` first")
        name = _file_name(outgoing.idempotency_key)
        target = self.directory / name
        provider_id = f"print:{name}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if target.exists():
                return Receipt(provider_id=provider_id, duplicate=True)
            partial = target.with_suffix(".part")
            shutil.copyfile(outgoing.document, partial)
            partial.replace(target)
            line = {"file": name, "to": outgoing.recipient, "reference": outgoing.reference}
            with (self.directory / MANIFEST).open("a", encoding="utf-8") as manifest:
                manifest.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as error:
            raise TemporaryFailure(f"cannot write to the print folder {self.directory}: {error}") from None
        return Receipt(provider_id=provider_id)


def _file_name(key: str) -> str:
    readable = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)[:80]
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:8]}.pdf"
