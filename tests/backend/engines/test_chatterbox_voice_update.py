"""ChatterboxEngine's conditionals of a library voice outlive its rename and its new language
(VoiceStore.update rewrites meta.json only): no second embedding, in memory or after a restart."""

from __future__ import annotations

import numpy as np
import pytest

from backend.core.speech import Audio
from backend.voices.store import VoiceStore
from tests.helpers.audio import dominant_hz
from tests.helpers.fake_chatterbox import SR, make_engine, speak


def added_voice(store: VoiceStore, hz: float = 220.0) -> str:
    t = np.arange(3 * SR) / SR
    clip = Audio((0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32), SR)
    return str(store.add("Anna", clip, {})["id"])


def test_a_renamed_voice_keeps_its_cached_conditionals(tmp_path, model_dir, fake):
    store = VoiceStore(tmp_path / "voices")
    voice_id = added_voice(store)
    engine = make_engine(tmp_path, model_dir)
    first = engine.prepare_voice(store.ref(voice_id))

    store.update(voice_id, {"name": "Anna Maria", "language": "de"})
    again = engine.prepare_voice(store.ref(voice_id))  # a fresh ref, as each request makes

    assert again is first
    assert fake.ChatterboxTTS.prepare_calls == 1
    assert store.ref(voice_id).language == "de"
    assert dominant_hz(speak(engine, again)) == pytest.approx(220, abs=2)


def test_a_restarted_engine_loads_the_renamed_voices_persisted_conditionals(
    tmp_path, model_dir, fake
):
    store = VoiceStore(tmp_path / "voices")
    voice_id = added_voice(store)
    make_engine(tmp_path, model_dir).prepare_voice(store.ref(voice_id))

    store.update(voice_id, {"name": "Anna Maria", "language": None})
    restarted = make_engine(tmp_path, model_dir)
    handle = restarted.prepare_voice(store.ref(voice_id))

    assert fake.ChatterboxTTS.prepare_calls == 1  # conds.pt is newer than the untouched clip
    assert dominant_hz(speak(restarted, handle)) == pytest.approx(220, abs=2)
