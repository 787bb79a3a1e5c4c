"""Macro-F1, per-intent scores and the confusion table of the classifier on its held-out split.

Run ``python -m arrears.scripts.intents.evaluate`` to print the report, or add
``--write docs/classifier.md`` to replace the figures between the evaluation
markers of that file. The model is fitted on the training part only; each
intent's 5th, 10th, ... corpus entry is held out. Scoring uses the exported
parameters, so the figures are those of the classifier as shipped.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

from arrears.markdown import replace_between
from arrears.scripts.intents.corpus import LANGUAGES, Example, load, split
from arrears.scripts.intents.intents import Intent
from arrears.scripts.intents.model import LinearModel, fit, top

START = "<!-- evaluation:start -->"
END = "<!-- evaluation:end -->"


@dataclass(frozen=True)
class IntentScore:
    """Precision, recall and F1 of one intent over the held-out examples."""

    true_positives: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True)
class Evaluation:
    """Each held-out example's (true, predicted) pair and what follows from them."""

    pairs: tuple[tuple[Example, Intent], ...]

    @property
    def confusion(self) -> Counter[tuple[Intent, Intent]]:
        return Counter((example.intent, predicted) for example, predicted in self.pairs)

    def score(self, intent: Intent) -> IntentScore:
        return IntentScore(
            true_positives=sum(1 for example, got in self.pairs if example.intent is intent and got is intent),
            predicted=sum(1 for _, got in self.pairs if got is intent),
            actual=sum(1 for example, _ in self.pairs if example.intent is intent),
        )

    @property
    def macro_f1(self) -> float:
        return sum(self.score(intent).f1 for intent in Intent) / len(Intent)

    def accuracy(self, lang: str | None = None) -> float:
        chosen = [(example, got) for example, got in self.pairs if lang is None or example.lang == lang]
        return sum(1 for example, got in chosen if example.intent is got) / len(chosen) if chosen else 0.0


def evaluate(model: LinearModel, examples: Sequence[Example]) -> Evaluation:
    """Classify each example with ``model``."""
    return Evaluation(tuple((example, top(model.probabilities(example.text))[0]) for example in examples))


@dataclass(frozen=True)
class Report:
    evaluation: Evaluation
    train_size: int
    held_out_size: int
    import_seconds: float
    fit_seconds: float


def run() -> Report:
    """Fit on the training part, score the held-out part; times the scikit-learn import and the fit apart."""
    train_part, held_out = split(load())
    started = time.perf_counter()
    for module in ("feature_extraction.text", "linear_model"):
        importlib.import_module(f"sklearn.{module}")
    imported = time.perf_counter()
    model = fit(train_part)
    fitted = time.perf_counter()
    return Report(evaluate(model, held_out), len(train_part), len(held_out), imported - started, fitted - imported)


def _figure(value: float) -> str:
    return f"{value:.2f}"


def render(report: Report, *, on: date) -> str:
    """The report as Markdown."""
    evaluation = report.evaluation
    by_lang = ", ".join(f"{lang} {_figure(evaluation.accuracy(lang))}" for lang in LANGUAGES)
    lines = [
        f"Evaluated on {on.isoformat()} on {_machine()}.",
        "",
        f"Corpus: {report.train_size + report.held_out_size} utterances; fitted on {report.train_size}, "
        f"held out {report.held_out_size} (each intent's every 5th). Fitting took {report.fit_seconds:.2f} s "
        f"after a {report.import_seconds:.2f} s import of scikit-learn (this is why the parameters are shipped).",
        "",
        f"**Macro-F1 {_figure(evaluation.macro_f1)}**; accuracy {_figure(evaluation.accuracy())} "
        f"(by language: {by_lang}).",
        "",
        "| # | intent | held out | precision | recall | F1 |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for number, intent in enumerate(Intent, start=1):
        score = evaluation.score(intent)
        lines.append(
            f"| {number} | `{intent}` | {score.actual} | {_figure(score.precision)} "
            f"| {_figure(score.recall)} | {_figure(score.f1)} |"
        )
    lines += ["", "Confusion (rows: true intent, columns: predicted, numbered as above; blank is 0):", ""]
    lines += _confusion(evaluation)
    return "\n".join(lines) + "\n"


def _confusion(evaluation: Evaluation) -> list[str]:
    intents = list(Intent)
    counts = evaluation.confusion
    header = "| true \\ predicted | " + " | ".join(str(number) for number in range(1, len(intents) + 1)) + " |"
    rule = "|---|" + "---:|" * len(intents)
    rows = [
        f"| {number} `{truth}` | " + " | ".join(str(counts[(truth, predicted)] or "") for predicted in intents) + " |"
        for number, truth in enumerate(intents, start=1)
    ]
    return [header, rule, *rows]


def _machine() -> str:
    cores = os.cpu_count() or 1
    return (
        f"{platform.system()} {platform.machine()} ({cores} cores), Python {platform.python_version()}, "
        f"scikit-learn {version('scikit-learn')}"
    )


def write(path: Path, section: str) -> None:
    """Replace the text between the evaluation markers of ``path`` with ``section``."""
    replace_between(path, section, start=START, end=END)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the intent classifier on its held-out corpus.")
    parser.add_argument("--write", type=Path, help="replace the figures in this Markdown file (docs/classifier.md)")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="date to print (default today)")
    arguments = parser.parse_args(argv)
    section = render(run(), on=arguments.date or date.today())
    if arguments.write:
        write(arguments.write, section)
    else:
        sys.stdout.write(section)


if __name__ == "__main__":
    main()
