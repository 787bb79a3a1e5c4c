"""``python -m arrears.scripts.intents.build``: refit on the corpus and write ``model.json``.

Run it after editing the corpus, the featuriser, the normaliser or the model
settings; ``--check`` only says whether the shipped file is current (exit 1 if not).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from arrears.scripts.intents.model import PARAMETERS_FILE, build, fingerprint, shipped

TARGET = Path(__file__).with_name(PARAMETERS_FILE)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when model.json does not match the corpus")
    arguments = parser.parse_args(argv)
    if arguments.check:
        current = TARGET.exists() and shipped().fingerprint == fingerprint()
        sys.stdout.write(f"{PARAMETERS_FILE} is {'current' if current else 'stale: run the build'}\n")
        raise SystemExit(0 if current else 1)
    model = build()
    TARGET.write_text(model.to_json(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET} ({len(model.weights):,} features, {len(model.intents)} intents)\n")


if __name__ == "__main__":
    main()
