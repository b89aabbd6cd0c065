"""The FakeEngine (backend/engines/fake.py): its speaker check hears the tone each voice speaks,
and its events let a test order its steps."""

from __future__ import annotations

import threading

from backend.core.speech import SynthesisParams
from backend.engines.base import Engine
from backend.engines.fake import FakeEngine

TEXT = "A sentence of a few words."


def speak(engine: FakeEngine, handle: str | None):
    engine.load()
    return engine.synthesize(TEXT, handle, SynthesisParams())


def test_the_fake_engine_still_implements_the_engine_protocol():
    assert isinstance(FakeEngine(), Engine)


def test_audio_in_a_voices_own_tone_matches_that_voice_fully():
    engine = FakeEngine()

    assert engine.speaker_similarity(speak(engine, "rose"), "rose") == 1.0
    assert engine.speaker_similarity(speak(engine, None), None) == 1.0  # the built-in voice


def test_audio_in_another_voices_tone_does_not_match():
    engine = FakeEngine()

    assert engine.speaker_similarity(speak(engine, "rose"), "basil") == 0.0
    assert engine.speaker_similarity(speak(engine, "rose"), None) == 0.0


def test_the_same_audio_always_gets_the_same_score():
    engine = FakeEngine()
    audio = speak(engine, "rose")

    scores = {engine.speaker_similarity(audio, handle) for handle in ("basil", "basil", "basil")}

    assert scores == {0.0}


def test_a_forced_score_replaces_the_tone_comparison_by_call_number():
    engine = FakeEngine(similarity_when=lambda call: 0.25 if call == 0 else None)
    audio = speak(engine, "rose")

    first, second = (engine.speaker_similarity(audio, "rose") for _ in range(2))

    assert (first, second) == (0.25, 1.0)
    assert engine.similarities == [0.25, 1.0]


def test_an_engine_that_cannot_judge_returns_none_as_piper_does():
    engine = FakeEngine(judges_speaker=False, similarity_when=lambda call: 0.1)

    assert engine.speaker_similarity(speak(engine, "rose"), "rose") is None


def test_events_tell_a_test_when_a_call_started_and_when_it_waits_for_release():
    engine = FakeEngine(hang_when=lambda text: text == "hold")
    engine.load()
    assert not engine.started.is_set() and not engine.hanging.is_set()

    engine.synthesize("quick", None, SynthesisParams())
    assert engine.started.is_set() and not engine.hanging.is_set()

    held = threading.Thread(target=engine.synthesize, args=("hold", None, SynthesisParams()))
    held.start()
    assert engine.hanging.wait(5)
    assert held.is_alive() and engine.active == 1  # blocked until released
    engine.release.set()
    held.join(5)
    assert not held.is_alive() and engine.active == 0


def test_the_fake_engine_marks_each_sentence_in_proportion_to_its_characters_unless_untimed():
    from backend.core.speech import SynthesisParams

    timed = FakeEngine()
    timed.load()
    audio = timed.synthesize("One two three. Four five six.", None, SynthesisParams())
    assert [m.text for m in audio.marks] == ["One two three.", "Four five six."]
    assert audio.marks[0].start == 0.0 and abs(audio.marks[-1].end - audio.seconds) < 1e-3
    untimed = FakeEngine(timed=False)
    untimed.load()
    assert untimed.synthesize("One. Two.", None, SynthesisParams()).marks is None
