"""Tests for backend/speaking/prepare.py's spoken text: normalised in the request's language,
the lexicon applied first (whole word, any case), phonemes only for Piper."""

from __future__ import annotations

import pytest

from backend.core.speech import SynthesisParams
from backend.engines.fake import FakeEngine
from backend.engines.manager import ModelManager
from backend.engines.piper import PiperEngine
from backend.speaking.prepare import prepare
from backend.text.normalize_lexicon import LexiconEntry


def entry(word: str, respelling: str | None = None, phonemes: str | None = None):
    return {word.lower(): LexiconEntry(word, respelling, phonemes, "2026-01-01T00:00:00+00:00")}


@pytest.fixture
def fake():
    manager = ModelManager(FakeEngine())
    yield manager
    manager.close()


@pytest.fixture
def piper():
    manager = ModelManager(PiperEngine())
    yield manager
    manager.close()


def test_english_text_is_spoken_in_words(fake):
    ready = prepare(fake, "Dr. Lee paid $12 on May 5.", SynthesisParams())
    assert ready.text == "Doctor Lee paid twelve dollars on May fifth."


def test_another_language_is_spoken_in_its_own_words():
    manager = ModelManager(FakeEngine(languages=("en", "de")))
    try:
        ready = prepare(manager, "3 Katzen, 12:30 Uhr.", SynthesisParams(language="de"))
    finally:
        manager.close()
    assert ready.text == "drei Katzen, zwölf Uhr dreißig."


def test_the_lexicon_replaces_whole_words_in_any_case_before_normalising(fake):
    lexicon = entry("Nguyen", "win") | entry("Mendel", "Mendle")
    ready = prepare(
        fake, "Mr. NGUYEN met Mendel's heirs, not Mendelian ones, in 1865.", SynthesisParams(),
        lexicon=lexicon,
    )  # fmt: skip
    assert ready.text == (
        "Mister Win met Mendle's heirs, not Mendelian ones, in eighteen sixty-five."
    )


def test_a_longer_entry_wins_over_a_word_inside_it(fake):
    lexicon = entry("York", "yawk") | entry("New York", "noo yawk")
    assert prepare(fake, "New York and York.", SynthesisParams(), lexicon=lexicon).text == (
        "Noo yawk and Yawk."
    )


def test_piper_speaks_an_entrys_phonemes_and_leaves_them_as_written(piper):
    lexicon = entry("Nguyen", "win", "wˈɪn")
    ready = prepare(piper, "Nguyen had 2 cats.", SynthesisParams(), lexicon=lexicon)
    assert ready.text == "[[ wˈɪn ]] had two cats."
    titled = prepare(piper, "Dr. Nguyen and Nguyen.", SynthesisParams(), lexicon=lexicon)
    assert titled.text == "Doctor [[ wˈɪn ]] and [[ wˈɪn ]]."


def test_a_model_that_reads_no_phonemes_gets_the_respelling_or_the_word(fake):
    with_respelling = entry("Nguyen", "win", "wˈɪn")
    only_phonemes = entry("Nguyen", None, "wˈɪn")
    assert prepare(fake, "Nguyen.", SynthesisParams(), lexicon=with_respelling).text == "Win."
    assert prepare(fake, "Nguyen.", SynthesisParams(), lexicon=only_phonemes).text == "Nguyen."


def test_tags_are_removed_before_the_lexicon_and_the_numbers(fake):
    ready = prepare(
        fake, "[laugh] Nguyen won 3 games.", SynthesisParams(), lexicon=entry("Nguyen", "win")
    )
    assert ready.removed_tags == ("[laugh]",)
    assert ready.text.strip() == "Win won three games."


def test_only_checking_leaves_the_text_as_written(fake):
    ready = prepare(fake, "[laugh] Dr. Lee paid $12.", SynthesisParams(), speak=False)
    assert ready.text.strip() == "Dr. Lee paid $12."
    assert ready.removed_tags == ("[laugh]",)
