"""Findings point into the text the user gave, whatever normalisation happened underneath."""

from __future__ import annotations

import pytest

from arrears.compliance.lint import lint
from arrears.compliance.lint import normalise as normalise_module
from arrears.compliance.lint.corpus import load
from arrears.compliance.lint.linter import split_sentences
from arrears.compliance.lint.normalise import detect_language, fold_width, normalise, to_simplified


def test_a_traditional_finding_spans_the_original_characters() -> None:
    text = "您好，請轉告他回電。另外他欠了我們兩萬塊，一直沒還。"
    findings = lint(text)
    assert [finding.rule for finding in findings] == ["third_party_disclosure"]
    finding = findings[0]
    assert text[finding.start : finding.end] == finding.excerpt
    assert finding.excerpt.startswith("他欠了我們兩萬塊")


def test_every_finding_on_the_corpus_excerpts_the_original_text() -> None:
    for example in load():
        for finding in lint(example.text):
            assert example.text[finding.start : finding.end] == finding.excerpt


def test_full_width_and_traditional_text_keeps_its_length_and_is_found() -> None:
    text = "錢直接轉到我個人的支付寶，ＯＫ？"
    assert len(normalise(text)) == len(text)
    assert fold_width("ＯＫ？") == "OK?"
    (finding,) = lint(text)
    assert finding.rule == "private_account"
    assert text[finding.start : finding.end] == finding.excerpt


class _PhraseConverter:
    """Stands in for an OpenCC dictionary whose phrase rule changes the length of the text."""

    def convert(self, text: str) -> str:
        return text.replace("乾隆", "乾隆皇帝").replace("臺", "台").replace("灣", "湾")


def test_a_length_changing_conversion_falls_back_to_one_character_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(normalise_module, "_converter", lambda: _PhraseConverter())
    text = "乾隆到臺灣"
    assert to_simplified(text) == "乾隆到台湾"


def test_language_is_detected_from_cjk_characters() -> None:
    assert detect_language("請轉告他") == "zh"
    assert detect_language("Please call back") == "en"


def test_sentences_split_on_chinese_and_western_ends_but_not_decimals() -> None:
    text = "您好。欠款2.5万元！请回电；Thanks. Bye\n"
    pieces = [text[sentence.start : sentence.end] for sentence in split_sentences(text)]
    assert pieces == ["您好。", "欠款2.5万元！", "请回电；", "Thanks.", "Bye"]
