"""Low-VRAM precision and the out-of-memory retry, on the fake chatterbox package with real torch.

The fake feeds the T3 exaggeration through a real Linear layer of `model.t3`, so a bfloat16 T3
given float32 conditionals fails here as it does upstream.
"""

from __future__ import annotations

import pytest
import torch

from backend.core.errors import GpuOutOfMemory
from backend.core.settings import Settings
from backend.core.speech import SynthesisParams
from backend.engines.chatterbox import ChatterboxEngine
from backend.engines.chatterbox_precision import LOW_VRAM_MAX_BYTES, choose
from backend.main import create_app
from tests.helpers.api import LOCAL
from tests.helpers.fake_chatterbox import TEXT, make_engine, write_voice

GIB = 1024**3


@pytest.mark.parametrize(
    ("setting", "device", "vram", "expected"),
    [
        ("auto", "cuda", 6 * GIB, ("bfloat16", "float16")),
        ("auto", "cuda", LOW_VRAM_MAX_BYTES, ("bfloat16", "float16")),
        ("auto", "cuda", 12 * GIB, ("float32", "float32")),
        ("auto", "cpu", None, ("float32", "float32")),
        ("on", "cpu", None, ("bfloat16", "bfloat16")),
        ("on", "cuda", 24 * GIB, ("bfloat16", "float16")),
        ("off", "cuda", 4 * GIB, ("float32", "float32")),
    ],
)
def test_low_vram_mode_is_on_for_small_cards_or_when_asked(setting, device, vram, expected):
    precision = choose(setting, device, vram)

    assert (precision.t3, precision.flow) == expected
    assert precision.low_vram == (expected[0] == "bfloat16")
    assert precision.vocoder == "float32"


def test_low_vram_mode_casts_t3_and_the_flow_decoder_but_not_the_rest(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir, low_vram="on")
    model = fake.ChatterboxTTS.last_instance()

    assert model.t3.emotion_adv_fc.weight.dtype == torch.bfloat16
    assert model.s3gen.flow.decoder.estimator.weight.dtype == torch.bfloat16
    assert engine.prepare_voice(None).t3.speaker_emb.dtype == torch.bfloat16
    assert engine.info()["precision"] == {
        "low_vram": True,
        "t3": "bfloat16",
        "flow": "bfloat16",
        "vocoder": "float32",
    }


@pytest.mark.parametrize("exaggeration", [0.5, 0.7, 1.3, 0.7])
def test_low_vram_mode_speaks_at_any_exaggeration(tmp_path, model_dir, exaggeration):
    engine = make_engine(tmp_path, model_dir, low_vram="on")
    handle = engine.prepare_voice(write_voice(tmp_path, "alice", 300))

    audio = engine.synthesize(TEXT, handle, SynthesisParams(exaggeration=exaggeration, seed=1))

    assert audio.seconds == pytest.approx(len(TEXT) * 0.05, rel=0.01)
    assert torch.isfinite(torch.from_numpy(audio.samples)).all()


def test_an_exaggeration_change_leaves_the_cached_voice_as_it_was(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir, low_vram="on")
    handle = engine.prepare_voice(write_voice(tmp_path, "alice", 300))

    engine.synthesize(TEXT, handle, SynthesisParams(exaggeration=1.1))

    assert float(handle.t3.emotion_adv.view(-1)[0]) == 0.5
    assert handle.t3.emotion_adv.dtype == torch.bfloat16


def test_persisted_conditionals_stay_float32_in_low_vram_mode(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir, low_vram="on")
    ref = write_voice(tmp_path, "alice", 300)
    engine.prepare_voice(ref)

    saved = fake.Conditionals.load(ref.cache_dir / "conds.pt")

    assert saved.t3.speaker_emb.dtype == torch.float32


def test_out_of_memory_retries_the_text_as_two_halves(tmp_path, model_dir, fake, monkeypatch):
    text = "The first sentence is here. And the second one follows it."
    monkeypatch.setattr(fake.ChatterboxTTS, "oom_over_chars", len(text) - 1)
    engine = make_engine(tmp_path, model_dir, pause_ms=100.0, crossfade_ms=0.0)

    audio = engine.synthesize(text, engine.prepare_voice(None), SynthesisParams())

    model = fake.ChatterboxTTS.last_instance()
    assert model.generated_texts == [
        "The first sentence is here.",
        "And the second one follows it.",
    ]
    spoken = sum(len(t) for t in model.generated_texts) * 0.05
    assert audio.seconds == pytest.approx(spoken + 0.1, abs=0.01)


def test_out_of_memory_twice_is_gpu_out_of_memory(tmp_path, model_dir, fake, monkeypatch):
    monkeypatch.setattr(fake.ChatterboxTTS, "oom_over_chars", 10)
    engine = make_engine(tmp_path, model_dir)

    with pytest.raises(GpuOutOfMemory) as caught:
        engine.synthesize(TEXT, engine.prepare_voice(None), SynthesisParams())

    assert caught.value.status_code == 503
    assert "CHATTERBOX_LOW_VRAM=on" in caught.value.solution
    assert engine.device == "cpu"  # never a silent move to the CPU: it stays where it was


def test_out_of_memory_reaches_the_client_as_a_503_and_the_model_stays_usable(
    tmp_path, model_dir, fake, monkeypatch
):
    from fastapi.testclient import TestClient

    monkeypatch.setattr(fake.ChatterboxTTS, "oom_over_chars", 10)
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        model_cache_dir=model_dir,
        device="cpu",
        load_on_startup=False,
    )
    with TestClient(create_app(settings, ChatterboxEngine(settings)), base_url=LOCAL) as client:
        failed = client.post("/tts", json={"text": "This sentence is too long for the GPU."})
        monkeypatch.setattr(fake.ChatterboxTTS, "oom_over_chars", None)
        spoken = client.post("/tts", json={"text": "Now it fits."})
        health = client.get("/health").json()

    assert failed.status_code == 503
    assert failed.json()["error"] == "gpu_out_of_memory"
    assert failed.json()["solution"]
    assert spoken.status_code == 200
    assert health["state"] == "ready"
