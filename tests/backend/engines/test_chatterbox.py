"""ChatterboxEngine against the fake chatterbox package in tests/fakes/chatterbox_pkg.

The fake encodes a voice as the dominant frequency of its reference clip and speaks a sine at that
frequency, so the dominant frequency of the output tells which voice spoke.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest
import soxr
import torch

from backend.core.constants import MODEL_FILES
from backend.core.errors import EnvironmentNotSetup, ModelLoadFailed, NoVoiceLoaded, SynthesisFailed
from backend.core.models import missing_files
from backend.core.settings import Settings
from backend.core.speech import Audio, SynthesisParams
from backend.engines.base import Engine
from backend.engines.chatterbox import ChatterboxEngine
from backend.engines.piper import PiperEngine
from backend.voices.store import VoiceStore
from tests.helpers.audio import dominant_hz, speech_seconds
from tests.helpers.fake_chatterbox import (
    BUILTIN_HZ,
    SR,
    TEXT,
    _drop_fake_modules,
    make_engine,
    make_settings,
    speak,
    write_voice,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


def voice_hz(engine: ChatterboxEngine, handle) -> float:
    """The frequency the fake speaks at: which voice this handle makes the engine use."""
    return dominant_hz(speak(engine, handle))


def test_check_environment_names_the_cache_dir_and_the_missing_files(tmp_path, model_dir):
    (model_dir / "t3_cfg.safetensors").unlink()
    (model_dir / "conds.pt").unlink()
    engine = ChatterboxEngine(make_settings(tmp_path, model_dir))

    with pytest.raises(EnvironmentNotSetup) as caught:
        engine.check_environment()

    assert str(model_dir.resolve()) in caught.value.message
    assert "t3_cfg.safetensors" in caught.value.message
    assert "conds.pt" in caught.value.message
    assert "s3gen.safetensors" not in caught.value.message
    assert "setup_env.py --engine chatterbox --model original" in caught.value.solution
    assert caught.value.code == "environment_not_setup"


def test_check_environment_says_libraries_are_missing_without_chatterbox(tmp_path):
    _drop_fake_modules()  # the venv has no chatterbox; the fake is not on sys.path here
    engine = ChatterboxEngine(make_settings(tmp_path, tmp_path / "nowhere"))

    with pytest.raises(EnvironmentNotSetup) as caught:
        engine.check_environment()

    assert "not installed" in caught.value.message
    assert caught.value.solution == "Run: python setup_env.py --engine chatterbox --model original"


def test_check_environment_passes_with_the_library_and_all_five_files(tmp_path, model_dir):
    ChatterboxEngine(make_settings(tmp_path, model_dir)).check_environment()


def test_missing_files_lists_only_the_missing_files(tmp_path, model_dir):
    assert missing_files(model_dir, "original") == []
    (model_dir / "tokenizer.json").unlink()
    assert missing_files(model_dir, "original") == ["tokenizer.json"]
    assert missing_files(tmp_path / "empty", "original") == list(MODEL_FILES)


@pytest.mark.parametrize(("cuda", "expected"), [(False, "cpu"), (True, "cuda")])
def test_auto_device_picks_cuda_when_available_else_cpu(tmp_path, monkeypatch, cuda, expected):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    engine = ChatterboxEngine(Settings(model_cache_dir=tmp_path, data_dir=tmp_path, device="auto"))
    assert engine.device == expected


def test_explicit_device_setting_is_honoured(tmp_path):
    engine = ChatterboxEngine(Settings(model_cache_dir=tmp_path, data_dir=tmp_path, device="mps"))
    assert engine.device == "mps"


def test_importing_the_engine_module_does_not_import_torch():
    code = "import sys, backend.engines.chatterbox; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


def test_load_is_idempotent_and_uses_the_local_checkpoint(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir)
    first = fake.ChatterboxTTS.last_instance()
    engine.load()

    assert isinstance(engine, Engine)
    assert engine.is_loaded()
    assert fake.ChatterboxTTS.last_instance() is first
    assert first.device == "cpu"
    assert engine.sample_rate == 24000


def test_load_failure_becomes_model_load_failed(tmp_path, model_dir):
    (model_dir / "s3gen.safetensors").unlink()
    engine = ChatterboxEngine(make_settings(tmp_path, model_dir))

    with pytest.raises(ModelLoadFailed, match=r"s3gen\.safetensors"):
        engine.load()
    assert not engine.is_loaded()


def test_a_checkpoint_without_conds_has_no_builtin_voice(tmp_path, model_dir):
    (model_dir / "conds.pt").unlink()
    engine = make_engine(tmp_path, model_dir)

    assert engine.capabilities.has_builtin_voice is False
    with pytest.raises(NoVoiceLoaded):
        engine.prepare_voice(None)


def test_conditionals_are_prepared_once_and_reused(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir)
    ref = write_voice(tmp_path, "anna", 220)

    first = engine.prepare_voice(ref)
    second = engine.prepare_voice(ref)

    assert first is second
    assert fake.ChatterboxTTS.prepare_calls == 1
    assert (ref.cache_dir / "conds.pt").is_file()
    assert voice_hz(engine, first) == pytest.approx(220, abs=2)


def test_persisted_conditionals_are_reused_after_a_restart(tmp_path, model_dir, fake):
    ref = write_voice(tmp_path, "anna", 220)
    make_engine(tmp_path, model_dir).prepare_voice(ref)
    loads_before = fake.Conditionals.load_calls

    restarted = make_engine(tmp_path, model_dir)
    handle = restarted.prepare_voice(ref)

    assert fake.ChatterboxTTS.prepare_calls == 1
    assert fake.Conditionals.load_calls == loads_before + 2  # built-in voice + anna
    assert voice_hz(restarted, handle) == pytest.approx(220, abs=2)


def test_a_replaced_reference_clip_is_embedded_again(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir)
    ref = write_voice(tmp_path, "anna", 220)
    engine.prepare_voice(ref)

    write_voice(tmp_path, "anna", 330, seconds=4.0)
    later = (ref.cache_dir / "conds.pt").stat().st_mtime + 5
    os.utime(ref.audio_path, (later, later))
    handle = engine.prepare_voice(ref)

    assert fake.ChatterboxTTS.prepare_calls == 2
    assert voice_hz(engine, handle) == pytest.approx(330, abs=2)


def test_an_unreadable_persisted_conds_file_is_embedded_again(tmp_path, model_dir, fake):
    ref = write_voice(tmp_path, "anna", 220)
    (ref.cache_dir / "conds.pt").write_bytes(b"not a torch file")
    engine = make_engine(tmp_path, model_dir)

    handle = engine.prepare_voice(ref)

    assert fake.ChatterboxTTS.prepare_calls == 1
    assert voice_hz(engine, handle) == pytest.approx(220, abs=2)


def test_builtin_voice_is_kept_after_a_clone_was_used(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir)
    builtin = engine.prepare_voice(None)
    clone = engine.prepare_voice(write_voice(tmp_path, "anna", 220))
    speak(engine, clone)

    assert engine.prepare_voice(None) is builtin
    assert voice_hz(engine, engine.prepare_voice(None)) == pytest.approx(BUILTIN_HZ, abs=2)


def test_voice_cache_keeps_at_most_voice_cache_size_voices(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir, voice_cache_size=2)
    a, b, c = (write_voice(tmp_path, v, hz) for v, hz in (("a", 220), ("b", 330), ("c", 440)))
    engine.prepare_voice(a)
    b_conds = weakref.ref(engine.prepare_voice(b))
    engine.prepare_voice(a)  # a becomes the most recent, so c evicts b
    engine.prepare_voice(c)
    gc.collect()

    assert engine.info()["cached_voices"] == 2
    assert fake.ChatterboxTTS.prepare_calls == 3
    assert b_conds() is None
    loads = fake.Conditionals.load_calls
    engine.prepare_voice(a)
    assert fake.Conditionals.load_calls == loads  # still cached
    engine.prepare_voice(b)
    assert fake.Conditionals.load_calls == loads + 1  # evicted: back from its conds.pt
    assert fake.ChatterboxTTS.prepare_calls == 3  # never embedded twice


def test_two_voices_used_alternately_never_leak_into_each_other(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir)
    anna = engine.prepare_voice(write_voice(tmp_path, "anna", 220))
    bert = engine.prepare_voice(write_voice(tmp_path, "bert", 330))

    for handle, hz in [(anna, 220), (bert, 330), (anna, 220), (bert, 330), (anna, 220)]:
        assert voice_hz(engine, handle) == pytest.approx(hz, abs=2)


def test_synthesize_returns_mono_float32_at_the_model_sample_rate(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir)
    audio = engine.synthesize(TEXT, engine.prepare_voice(None), SynthesisParams())

    assert audio.sample_rate == 24000
    assert audio.samples.ndim == 1
    assert audio.samples.dtype == np.float32
    assert audio.seconds == pytest.approx(len(TEXT) * 0.05, rel=0.01)


def test_zero_cfg_weight_is_clamped_instead_of_crashing(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir)

    samples = speak(engine, engine.prepare_voice(None), cfg_weight=0.0)

    assert len(samples) > 0
    assert 0 < fake.ChatterboxTTS.last_instance().last_generate_kwargs["cfg_weight"] <= 0.01


def test_sampling_parameters_reach_generate(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir)
    speak(engine, engine.prepare_voice(None), exaggeration=0.9, cfg_weight=0.3, temperature=0.6)

    # The exaggeration arrives as the exact value of T3's float32 conditionals tensor.
    assert fake.ChatterboxTTS.last_instance().last_generate_kwargs == {
        "exaggeration": pytest.approx(0.9, abs=1e-7),
        "cfg_weight": 0.3,
        "temperature": 0.6,
    }


def test_the_same_seed_gives_the_same_audio(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir)
    builtin = engine.prepare_voice(None)

    first, again = speak(engine, builtin, seed=7), speak(engine, builtin, seed=7)

    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, speak(engine, builtin, seed=8))


def test_watermark_is_applied_by_default(tmp_path, model_dir):
    import perth

    engine = make_engine(tmp_path, model_dir)
    samples = speak(engine, engine.prepare_voice(None))

    assert perth.PerthImplicitWatermarker().get_watermark(samples, sample_rate=SR) == 1.0


def test_watermark_setting_off_swaps_in_the_dummy_watermarker(tmp_path, model_dir, fake):
    import perth

    engine = make_engine(tmp_path, model_dir, watermark=False)
    samples = speak(engine, engine.prepare_voice(None))

    assert isinstance(fake.ChatterboxTTS.last_instance().watermarker, perth.DummyWatermarker)
    assert perth.PerthImplicitWatermarker().get_watermark(samples, sample_rate=SR) == 0.0
    assert engine.info()["watermark"] is False


def test_rate_two_gives_about_half_the_samples(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir)
    builtin = engine.prepare_voice(None)

    normal, fast = speak(engine, builtin, seed=1), speak(engine, builtin, seed=1, rate=2.0)

    assert len(fast) / len(normal) == pytest.approx(0.5, abs=0.05)
    assert fast.dtype == np.float32


def test_rate_scales_the_duration_of_real_speech_to_within_five_percent(
    tmp_path, model_dir, fake, monkeypatch
):
    """generate returns real speech (two Piper takes at 24 kHz, pauses and all), so the stretch
    is measured on speech, silence trimmed at both ends, as the rate contract says."""
    piper = PiperEngine()
    takes = [
        soxr.resample(piper.synthesize(TEXT, "builtin", SynthesisParams()).samples, 22050, SR)
        for _ in range(2)
    ]
    calls = iter(range(10**6))
    monkeypatch.setattr(
        fake.ChatterboxTTS,
        "generate",
        lambda self, text, **kw: torch.from_numpy(takes[next(calls) % 2].astype(np.float32))[None],
    )
    engine = make_engine(tmp_path, model_dir)
    builtin = engine.prepare_voice(None)

    def seconds(rate: float) -> float:
        return float(
            np.mean([speech_seconds(speak(engine, builtin, rate=rate), SR) for _ in takes])
        )

    normal = seconds(1.0)
    ratios = {rate: seconds(rate) * rate / normal for rate in (0.5, 0.75, 0.9, 1.25, 1.5, 2.0)}

    assert all(abs(ratio - 1) <= 0.05 for ratio in ratios.values()), ratios


def test_a_voice_deleted_while_it_is_embedded_does_not_come_back(
    tmp_path, model_dir, fake, monkeypatch
):
    """DELETE /voices/{id} runs beside the model thread: here it lands inside the embed, after
    the clip was read and before conds.pt is persisted. No folder, no conds.pt, no leftovers."""
    store = VoiceStore(tmp_path / "voices")
    added = store.add("Doomed", Audio(np.sin(np.arange(72000) / 10).astype(np.float32), SR), {})
    ref = store.ref(added["id"])
    embed = fake.ChatterboxTTS.prepare_conditionals

    def embed_then_delete(self, wav_fpath, exaggeration=0.5):
        embed(self, wav_fpath, exaggeration)
        store.delete(added["id"])

    monkeypatch.setattr(fake.ChatterboxTTS, "prepare_conditionals", embed_then_delete)
    engine = make_engine(tmp_path, model_dir)

    engine.prepare_voice(ref)

    assert not ref.cache_dir.exists()
    assert list(store.root.iterdir()) == []
    assert store.list() == []


def test_a_failing_generate_becomes_synthesis_failed(tmp_path, model_dir, fake, monkeypatch):
    def explode(self, text, **kwargs):
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(fake.ChatterboxTTS, "generate", explode)
    engine = make_engine(tmp_path, model_dir)

    with pytest.raises(SynthesisFailed) as caught:
        speak(engine, engine.prepare_voice(None))

    assert caught.value.code == "synthesis_failed"
    assert "device-side assert" in caught.value.message


def test_unload_drops_the_model_and_every_voice(tmp_path, model_dir, fake):
    engine = make_engine(tmp_path, model_dir)
    model = fake.ChatterboxTTS.last_instance
    builtin = weakref.ref(engine.prepare_voice(None))
    clone_handle = engine.prepare_voice(write_voice(tmp_path, "anna", 220))
    speak(engine, clone_handle)
    clone = weakref.ref(clone_handle)
    del clone_handle

    engine.unload()
    gc.collect()

    assert not engine.is_loaded()
    assert model() is None
    assert builtin() is None
    assert clone() is None
    assert engine.info()["cached_voices"] == 0
    engine.unload()  # idempotent
    engine.load()  # and the next request loads again
    assert voice_hz(engine, engine.prepare_voice(None)) == pytest.approx(BUILTIN_HZ, abs=2)


def test_memory_is_empty_on_cpu_and_info_names_the_cache_dir(tmp_path, model_dir):
    engine = make_engine(tmp_path, model_dir)

    memory = engine.memory()
    assert (memory.vram_allocated, memory.vram_reserved) == (None, None)
    assert engine.info() == {
        "model_id": "chatterbox",
        "model_cache_dir": str(model_dir.resolve()),
        "weights": "pretrained",
        "cached_voices": 0,
        "watermark": True,
        "low_vram": "auto",
        "precision": {"low_vram": False, "t3": "float32", "flow": "float32", "vocoder": "float32"},
        "runtime_imported": True,
    }


def test_a_checkpoint_with_the_test_marker_reports_random_test_weights(tmp_path, model_dir):
    (model_dir / "RANDOM_TEST_WEIGHTS.json").write_text("{}")

    assert make_engine(tmp_path, model_dir).info()["weights"] == "random-test"


def test_import_runtime_imports_the_package_without_loading_the_model(tmp_path, model_dir):
    engine = ChatterboxEngine(make_settings(tmp_path, model_dir))

    engine.import_runtime()

    assert "chatterbox.tts" in sys.modules
    assert not engine.is_loaded()
    assert engine.info()["runtime_imported"] is True
