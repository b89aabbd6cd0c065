from __future__ import annotations

import itertools

import numpy as np
import pytest

from backend.core.errors import EnvironmentNotSetup, VoiceCloningUnavailable
from backend.core.settings import Settings
from backend.core.speech import EngineVoice, SynthesisParams, VoiceRef
from backend.engines.piper import PiperEngine
from tests.helpers.audio import speech_seconds
from tests.helpers.piper_voices import make_voice


@pytest.fixture(scope="module")
def engine():
    engine = PiperEngine()
    engine.check_environment()
    engine.load()
    yield engine
    engine.unload()


def test_piper_speaks_real_audio_from_the_packaged_voice(engine):
    audio = engine.synthesize(
        "Hello there. This is a test.", engine.prepare_voice(None), SynthesisParams()
    )
    assert audio.sample_rate == 22050
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert 1.0 < audio.seconds < 6.0
    assert np.abs(audio.samples).max() > 0.1  # not silence
    assert np.abs(audio.samples).max() <= 1.0


RATES = (0.5, 0.75, 0.9, 1.25, 1.5, 2.0)


def mean_speech_seconds(engine, text: str, rate: float, takes: int) -> float:
    """Speech duration (silence trimmed at both ends) averaged over takes: Piper's vary a few
    percent from take to take."""
    return float(
        np.mean(
            [
                speech_seconds(audio.samples, audio.sample_rate)
                for audio in (
                    engine.synthesize(text, "builtin", SynthesisParams(rate=rate))
                    for _ in range(takes)
                )
            ]
        )
    )


def test_piper_rate_scales_the_speech_duration_to_within_five_percent(tmp_path):
    """Real Piper with the bundled network; its copy's config turns off the noise of the duration
    predictor (noise_w 0), so each take lasts the same and the ratios measure the rate, not
    Piper's take-to-take variation (about 1.6%, which made a 5% bound on a few takes flaky)."""
    steady = make_voice(tmp_path, "en_US-steady-medium", inference={"noise_w": 0.0})
    engine = PiperEngine(Settings(_env_file=None, piper_model=steady))
    text = "Faster now. Or slower."  # two sentences: the pause between them counts
    normal = mean_speech_seconds(engine, text, 1.0, takes=2)
    ratios = {
        rate: mean_speech_seconds(engine, text, rate, takes=2) * rate / normal for rate in RATES
    }

    assert all(abs(ratio - 1) <= 0.05 for ratio in ratios.values()), ratios


def test_piper_cannot_judge_the_speaker_so_the_speaker_check_skips_it(engine):
    handle = engine.prepare_voice(None)
    audio = engine.synthesize("Hello there.", handle, SynthesisParams())

    assert engine.speaker_similarity(audio, handle) is None


def test_piper_refuses_an_uploaded_voice_with_an_install_hint(engine, tmp_path):
    ref = VoiceRef("someone", tmp_path / "reference.wav", tmp_path)
    with pytest.raises(VoiceCloningUnavailable) as caught:
        engine.prepare_voice(ref)
    assert caught.value.status_code == 400
    assert caught.value.code == "voice_cloning_unavailable"
    assert "setup_env.py --engine chatterbox" in caught.value.solution


def test_piper_unload_drops_the_voice_and_load_is_idempotent():
    engine = PiperEngine()
    engine.load()
    engine.load()
    assert engine.is_loaded()
    engine.unload()
    engine.unload()
    assert not engine.is_loaded()
    assert engine.capabilities.can_clone is False


def spoken(engine: PiperEngine, handle: str, text: str = "Which voice is this?") -> float:
    audio = engine.synthesize(text, handle, SynthesisParams())
    return speech_seconds(audio.samples, audio.sample_rate)


def test_a_voices_folder_adds_named_voices_each_spoken_with_its_own_config(tmp_path):
    make_voice(tmp_path / "voices", "en_US-slow-medium", inference={"length_scale": 1.6})
    (tmp_path / "voices" / "orphan.onnx").write_bytes(b"no config beside it")
    engine = PiperEngine(Settings(_env_file=None, piper_voices_dir=tmp_path / "voices"))
    engine.check_environment()

    handle = engine.prepare_voice(EngineVoice("en_US-slow-medium"))
    slow, normal = spoken(engine, handle), spoken(engine, engine.prepare_voice(None))

    assert engine.capabilities.voices == ("en_US-slow-medium",)
    assert slow / normal > 1.3  # its own length_scale, not the bundled voice's
    assert engine.info()["loaded_voices"] == ["en_US-slow-medium"]


def test_model_path_makes_that_voice_the_builtin_and_keeps_the_bundled_one_by_name(
    tmp_path, monkeypatch
):
    model = make_voice(tmp_path, "en_US-jenny-medium", inference={"length_scale": 1.6})
    monkeypatch.setenv("MODEL_PATH", str(model))  # as the seed's `docker run -e MODEL_PATH=...`
    engine = PiperEngine(Settings(_env_file=None))
    engine.load()

    jenny = spoken(engine, engine.prepare_voice(None))
    joe = spoken(engine, engine.prepare_voice(EngineVoice("en_US-joe-medium")))

    assert engine.info()["voice"] == "en_US-jenny-medium"
    assert engine.capabilities.voices == ("en_US-joe-medium",)
    assert jenny / joe > 1.3


def test_at_most_the_configured_number_of_named_voices_stay_loaded(tmp_path):
    for name in ("one", "two"):
        make_voice(tmp_path / "voices", name)
    engine = PiperEngine(
        Settings(_env_file=None, piper_voices_dir=tmp_path / "voices", piper_voice_cache_size=1)
    )
    engine.prepare_voice(EngineVoice("one"))
    engine.prepare_voice(EngineVoice("two"))

    assert engine.info()["loaded_voices"] == ["two"]  # "one", least recently used, went
    assert engine.capabilities.voices == ("one", "two")  # and is still there to be asked for
    engine.unload()
    assert engine.info()["loaded_voices"] == []


def test_piper_threads_sets_each_voices_onnxruntime_threads_and_it_still_speaks(tmp_path):
    make_voice(tmp_path / "voices", "one")
    engine = PiperEngine(
        Settings(_env_file=None, piper_voices_dir=tmp_path / "voices", piper_threads=1)
    )
    engine.load()
    engine.prepare_voice(EngineVoice("one"))
    voices = [engine._builtin, engine._loaded["one"]]
    assert [v.session.get_session_options().intra_op_num_threads for v in voices] == [1, 1]
    audio = engine.synthesize("One thread is enough.", "builtin", SynthesisParams())
    assert audio.sample_rate == 22050 and np.abs(audio.samples).max() > 0.1
    engine.unload()
    default = PiperEngine(Settings(_env_file=None))
    default.load()  # 0: onnxruntime picks, as Piper's own load does
    assert default._builtin.session.get_session_options().intra_op_num_threads == 0
    default.unload()


def test_a_voice_with_another_sample_rate_comes_out_at_the_engines_rate(tmp_path):
    make_voice(tmp_path / "voices", "low", audio={"sample_rate": 16000})
    engine = PiperEngine(Settings(_env_file=None, piper_voices_dir=tmp_path / "voices"))

    audio = engine.synthesize("Hello.", engine.prepare_voice(EngineVoice("low")), SynthesisParams())

    assert audio.sample_rate == engine.sample_rate == 22050


@pytest.mark.parametrize("problem", ["missing", "no-config", "broken"])
def test_a_missing_or_broken_model_path_is_environment_not_setup_with_the_fix(tmp_path, problem):
    model = tmp_path / "en_US-jenny-medium.onnx"
    if problem != "missing":
        model.write_bytes(b"not an onnx network")
    if problem == "broken":
        model.with_name(model.name + ".json").write_text('{"audio": {"sample_rate": 22050}}')
    engine = PiperEngine(Settings(_env_file=None, piper_model=model))

    with pytest.raises(EnvironmentNotSetup) as caught:
        engine.check_environment()
        engine.load()

    assert caught.value.status_code == 503
    assert str(model) in caught.value.message
    assert "MODEL_PATH" in caught.value.solution and ".onnx.json" in caught.value.solution


def test_piper_marks_each_sentence_where_its_sound_lies_also_after_a_rate_stretch(engine):
    text = "The lamp was lit at dusk. Nobody came to the door! Was the house empty?"
    for rate in (1.0, 1.6):
        audio = engine.synthesize(text, "builtin", SynthesisParams(rate=rate))
        marks = audio.marks
        assert [m.text for m in marks] == [
            "The lamp was lit at dusk.",
            "Nobody came to the door!",
            "Was the house empty?",
        ]
        assert marks[0].start == 0.0 and abs(marks[-1].end - audio.seconds) < 1e-6
        for before, after in itertools.pairwise(marks):
            # the pause between two sentences is silence, and the next one begins with sound
            gap = audio.samples[
                int(before.end * audio.sample_rate) : int(after.start * audio.sample_rate)
            ]
            assert after.start > before.end and np.max(np.abs(gap), initial=0) < 0.02
            head = audio.samples[
                int(after.start * audio.sample_rate) : int((after.start + 0.3) * audio.sample_rate)
            ]
            assert np.max(np.abs(head)) > 0.05
