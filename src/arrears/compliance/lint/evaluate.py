"""Precision and recall of the linter on the held-out part of its corpus.

Run ``python -m arrears.compliance.lint.evaluate`` to print the report, or add
``--write docs/linter.md`` to replace the figures between the evaluation markers
of that file. The model is trained on the training part only; every 5th corpus
entry is held out. Patterns are applied as shipped (they were written with the
whole corpus in view, so their held-out figures are optimistic; the model-only
columns show what generalises).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sklearn

from arrears.compliance.lint.corpus import Example, load, split
from arrears.compliance.lint.linter import find
from arrears.compliance.lint.model import THRESHOLD, SentenceModel, train
from arrears.compliance.lint.patterns import PatternSet
from arrears.compliance.lint.rules import RULE_IDS
from arrears.markdown import replace_between

START = "<!-- evaluation:start -->"
END = "<!-- evaluation:end -->"
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

Predict = Callable[[Example], frozenset[str]]


@dataclass(frozen=True)
class Score:
    """Counts for one rule (or all rules together) over held-out examples."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.true_positives + other.true_positives,
            self.false_positives + other.false_positives,
            self.false_negatives + other.false_negatives,
        )

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass(frozen=True)
class Evaluation:
    """Per-rule scores, their total, and how many compliant examples got any finding."""

    by_rule: dict[str, Score]
    compliant: int
    compliant_flagged: int

    @property
    def overall(self) -> Score:
        return sum(self.by_rule.values(), Score())


def evaluate(examples: Sequence[Example], predict: Predict) -> Evaluation:
    """Score ``predict`` (example -> predicted rule ids) against the examples' labels."""
    by_rule = dict.fromkeys(RULE_IDS, Score())
    compliant = flagged = 0
    for example in examples:
        predicted = predict(example)
        if not example.labels:
            compliant += 1
            flagged += bool(predicted)
        for rule in RULE_IDS:
            by_rule[rule] += Score(
                int(rule in predicted and rule in example.labels),
                int(rule in predicted and rule not in example.labels),
                int(rule not in predicted and rule in example.labels),
            )
    return Evaluation(by_rule, compliant, flagged)


def predictor(model: SentenceModel, *, threshold: float = THRESHOLD, pattern_set: PatternSet | None = None) -> Predict:
    """The rules the linter finds in an example's text, with the given parts."""

    def predict(example: Example) -> frozenset[str]:
        findings = find(
            example.text, lang=example.lang, context=None, model=model, threshold=threshold, pattern_set=pattern_set
        )
        return frozenset(finding.rule for finding in findings)

    return predict


@dataclass(frozen=True)
class Report:
    combined: Evaluation
    patterns_only: Evaluation
    model_only: Evaluation
    sweep: dict[float, Evaluation]
    model_sweep: dict[float, Evaluation]
    train_size: int
    held_out_size: int
    train_seconds: float


def run() -> Report:
    """Train on the training part, evaluate every configuration on the held-out part."""
    train_part, held_out = split(load())
    _import_scikit_learn()
    started = time.perf_counter()
    model = train(train_part)
    seconds = time.perf_counter() - started
    no_patterns = PatternSet((), ())
    return Report(
        combined=evaluate(held_out, predictor(model)),
        patterns_only=evaluate(held_out, predictor(SentenceModel({}))),
        model_only=evaluate(held_out, predictor(model, pattern_set=no_patterns)),
        sweep={value: evaluate(held_out, predictor(model, threshold=value)) for value in SWEEP},
        model_sweep={
            value: evaluate(held_out, predictor(model, threshold=value, pattern_set=no_patterns)) for value in SWEEP
        },
        train_size=len(train_part),
        held_out_size=len(held_out),
        train_seconds=seconds,
    )


def _import_scikit_learn() -> None:
    """Import what training uses first, so the training time reported is training alone."""
    for module in ("feature_extraction.text", "linear_model", "multiclass", "pipeline", "preprocessing"):
        importlib.import_module(f"sklearn.{module}")


def _figure(value: float) -> str:
    return f"{value:.2f}"


def render(report: Report, *, on: date) -> str:
    """The report as Markdown."""
    lines = [
        f"Evaluated on {on.isoformat()} on {_machine()}.",
        "",
        f"Corpus: {report.train_size + report.held_out_size} entries; trained on {report.train_size}, "
        f"held out {report.held_out_size} (every 5th entry). Training took {report.train_seconds:.2f} s "
        "(scikit-learn already imported). "
        f"Model threshold {THRESHOLD}.",
        "",
        "| rule | held-out examples | precision | recall | model-only precision | model-only recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for rule in RULE_IDS:
        both, alone = report.combined.by_rule[rule], report.model_only.by_rule[rule]
        lines.append(
            f"| `{rule}` | {both.support} | {_figure(both.precision)} | {_figure(both.recall)} "
            f"| {_figure(alone.precision)} | {_figure(alone.recall)} |"
        )
    lines.append(_overall_row("**overall** (micro)", report.combined, report.model_only))
    lines += ["", "| configuration | precision | recall | compliant examples flagged |", "|---|---:|---:|---:|"]
    for name, evaluation in (
        ("patterns + model (shipped)", report.combined),
        ("patterns only", report.patterns_only),
        ("model only", report.model_only),
    ):
        lines.append(_configuration_row(name, evaluation))
    lines += ["", "Threshold sweep:", "", _SWEEP_HEADER, "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [_sweep_row(value, report.sweep[value], report.model_sweep[value]) for value in SWEEP]
    return "\n".join(lines) + "\n"


_SWEEP_HEADER = (
    "| threshold | precision | recall | compliant flagged "
    "| model-only precision | model-only recall | model-only true / false positives |"
)


def _sweep_row(value: float, combined: Evaluation, model_only: Evaluation) -> str:
    both, alone = combined.overall, model_only.overall
    return (
        f"| {value} | {_figure(both.precision)} | {_figure(both.recall)} "
        f"| {combined.compliant_flagged} of {combined.compliant} "
        f"| {_figure(alone.precision)} | {_figure(alone.recall)} "
        f"| {alone.true_positives} / {alone.false_positives} |"
    )


def _overall_row(name: str, combined: Evaluation, model_only: Evaluation) -> str:
    both, alone = combined.overall, model_only.overall
    return (
        f"| {name} | {both.support} | {_figure(both.precision)} | {_figure(both.recall)} "
        f"| {_figure(alone.precision)} | {_figure(alone.recall)} |"
    )


def _configuration_row(name: str, evaluation: Evaluation) -> str:
    overall = evaluation.overall
    return (
        f"| {name} | {_figure(overall.precision)} | {_figure(overall.recall)} "
        f"| {evaluation.compliant_flagged} of {evaluation.compliant} |"
    )


def _machine() -> str:
    python = platform.python_version()
    cores = os.cpu_count() or 1
    return (
        f"{platform.system()} {platform.machine()} ({cores} cores), Python {python}, scikit-learn {sklearn.__version__}"
    )


def write(path: Path, section: str) -> None:
    """Replace the text between the evaluation markers of ``path`` with ``section``."""
    replace_between(path, section, start=START, end=END)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the content linter on its held-out corpus.")
    parser.add_argument("--write", type=Path, help="replace the figures in this Markdown file (docs/linter.md)")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="date to print (default today)")
    arguments = parser.parse_args(argv)
    section = render(run(), on=arguments.date or date.today())
    if arguments.write:
        write(arguments.write, section)
    else:
        sys.stdout.write(section)


if __name__ == "__main__":
    main()
