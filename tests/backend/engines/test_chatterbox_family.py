"""The Turbo and Multilingual members and voice conversion, through ChatterboxEngine, against the
fake chatterbox package (tests/fakes/chatterbox_pkg): what differs between the models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backend.core import models
from backend.core.errors import EnvironmentNotSetup, VoiceTooShortForModel
from backend.core.speech import Audio, SynthesisParams
from backend.engines import chatterbox_family
from backend.engines.chatterbox import ChatterboxEngine
from tests.helpers.audio import dominant_hz
from tests.helpers.fake_chatterbox import BUILTIN_HZ, TEXT, make_settings, write_voice
from tests.scripts.setup_fakes import write_segmenter

TAGS = {"[laugh]": 50257, "[sigh]": 50258, "[clear throat]": 50259, "<|endoftext|>": 50256}


def install(cache: Path, key: str, fake) -> Path:
    """A fake checkpoint of `key` in its own folder of the cache, with a 150 Hz built-in voice."""
    folder = cache / key
    folder.mkdir(parents=True)
    for name in models.MODELS[key].files:
        (folder / name).write_bytes(b"fake weights")
    if key == "multilingual":
        write_segmenter(models.pkuseg_home(folder))
    if key == "turbo":
        (folder / "added_tokens.json").write_text(json.dumps(TAGS))
    fake.Conditionals.from_frequency(BUILTIN_HZ).save(folder / "conds.pt")
    return folder


def engine_for(tmp_path: Path, key: str, fake) -> ChatterboxEngine:
    cache = tmp_path / "model_cache"
    install(cache, key, fake)
    engine = ChatterboxEngine(make_settings(tmp_path, cache, chatterbox_model=key))
    engine.load()
    return engine


def test_turbo_lists_the_tags_its_checkpoint_knows_and_nothing_else(tmp_path, fake):
    engine = ChatterboxEngine(make_settings(tmp_path, tmp_path / "c", chatterbox_model="turbo"))
    assert engine.capabilities.tags == ()  # not installed: nothing to read
    install(tmp_path / "c", "turbo", fake)
    engine = ChatterboxEngine(make_settings(tmp_path, tmp_path / "c", chatterbox_model="turbo"))
    assert engine.capabilities.tags == ("[clear throat]", "[laugh]", "[sigh]")
    assert engine.capabilities.ignored_params == ("cfg_weight", "exaggeration")
    assert engine.capabilities.min_reference_seconds == 5.0


def test_each_model_reads_its_own_folder_and_names_its_own_missing_files(tmp_path, fake):
    cache = tmp_path / "model_cache"
    install(cache, "original", fake)
    turbo = ChatterboxEngine(make_settings(tmp_path, cache, chatterbox_model="turbo"))
    with pytest.raises(EnvironmentNotSetup) as caught:
        turbo.check_environment()
    assert "t3_turbo_v1.safetensors" in caught.value.message
    assert "--model turbo" in caught.value.solution
    ChatterboxEngine(
        make_settings(tmp_path, cache, chatterbox_model="original")
    ).check_environment()


def test_an_original_model_at_the_top_of_the_cache_is_still_found(tmp_path, fake, model_dir):
    engine = ChatterboxEngine(make_settings(tmp_path, model_dir, chatterbox_model="original"))
    assert engine.model_dir == model_dir.resolve()
    engine.check_environment()


def test_turbo_speaks_in_a_cloned_voice_and_passes_no_guidance(tmp_path, fake):
    engine = engine_for(tmp_path, "turbo", fake)
    ref = write_voice(tmp_path, "long", 440.0, seconds=6.0)
    audio = engine.synthesize(TEXT, engine.prepare_voice(ref), SynthesisParams(cfg_weight=0.9))
    assert abs(dominant_hz(audio.samples, audio.sample_rate) - 440.0) < 5
    model = fake.ChatterboxTTS.last_instance()
    assert model.last_generate_kwargs["cfg_weight"] == 0.0  # Turbo has none to give
    # Turbo derives its own conditionals: the original's conds.pt is not overwritten
    assert (ref.cache_dir / "conds-turbo.pt").is_file()
    assert not (ref.cache_dir / "conds.pt").exists()


def test_turbo_refuses_a_reference_of_five_seconds_or_less_before_embedding(tmp_path, fake):
    engine = engine_for(tmp_path, "turbo", fake)
    ref = write_voice(tmp_path, "short", 440.0, seconds=4.0)
    with pytest.raises(VoiceTooShortForModel) as caught:
        engine.prepare_voice(ref)
    assert caught.value.status_code == 422
    assert caught.value.extra["model"] == "chatterbox-turbo"
    assert caught.value.extra["min_seconds"] == 5.0
    assert "4.0 s" in caught.value.message


def test_multilingual_speaks_the_requested_language_and_accepts_cfg_zero(tmp_path, fake):
    engine = engine_for(tmp_path, "multilingual", fake)
    handle = engine.prepare_voice(None)
    engine.synthesize("Guten Tag.", handle, SynthesisParams(language="de", cfg_weight=0.0))
    model = fake.ChatterboxTTS.last_instance()
    assert model.last_generate_kwargs["language_id"] == "de"
    assert model.last_generate_kwargs["cfg_weight"] == 0.0
    assert engine.capabilities.languages == tuple(models.LANGUAGES)


@pytest.mark.parametrize("text", ["A", "?"])
def test_multilingual_pads_a_text_too_short_for_0_1_7_with_pauses(tmp_path, fake, text):
    engine = engine_for(tmp_path, "multilingual", fake)
    handle = engine.prepare_voice(None)
    model = fake.ChatterboxTTS.last_instance()
    with pytest.raises(IndexError):  # the fake crashes as 0.1.7 does, unguarded
        model.generate(text, language_id="de")
    audio = engine.synthesize(text, handle, SynthesisParams(language="de"))
    assert audio.seconds > 0
    spoken = model.last_text
    assert spoken.startswith(text) and set(spoken[len(text) :]) <= {","}


def test_a_text_long_enough_for_multilingual_is_left_as_it_is(tmp_path, fake):
    engine = engine_for(tmp_path, "multilingual", fake)
    engine.synthesize("Guten Tag.", engine.prepare_voice(None), SynthesisParams(language="de"))
    assert fake.ChatterboxTTS.last_instance().last_text == "Guten Tag."


def test_multilingual_reads_the_cangjie_table_from_its_folder(tmp_path, fake):
    cache = tmp_path / "model_cache"
    folder = install(cache, "multilingual", fake)
    (folder / models.CANGJIE_FILE).write_text(json.dumps(["你\tonf", "好\tvnd", "妳\tonf"]))
    engine = ChatterboxEngine(make_settings(tmp_path, cache, chatterbox_model="multilingual"))
    engine.load()
    converter = fake.ChatterboxTTS.last_instance().tokenizer.cangjie_converter
    assert converter.word2cj == {"你": "onf", "好": "vnd", "妳": "onf"}
    assert converter.cj2word["onf"] == ["你", "妳"]


def test_voice_conversion_keeps_the_length_and_takes_the_target_voice(tmp_path, fake):
    engine = engine_for(tmp_path, "original", fake)
    ref = write_voice(tmp_path, "target", 600.0)
    t = np.arange(16000 * 2) / 16000
    source = Audio((0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), 16000)
    out = engine.convert_voice(source, engine.prepare_voice(ref))
    assert out.sample_rate == 24000
    assert out.seconds == pytest.approx(source.seconds, abs=0.01)
    assert abs(dominant_hz(out.samples, out.sample_rate) - 600.0) < 5
    assert engine.capabilities.can_convert_voice


def test_read_tags_ignores_special_tokens_and_a_missing_file(tmp_path):
    (tmp_path / "added_tokens.json").write_text(json.dumps(TAGS))
    assert chatterbox_family.read_tags(tmp_path) == ("[clear throat]", "[laugh]", "[sigh]")
    assert chatterbox_family.read_tags(tmp_path / "nowhere") == ()


def test_fifty_multilingual_calls_leave_no_hooks_behind(tmp_path, fake):
    engine = engine_for(tmp_path, "multilingual", fake)
    model = fake.ChatterboxTTS.last_instance()
    handle = engine.prepare_voice(None)
    before = chatterbox_family.forward_hook_count(model.t3)
    lengths = []
    for n in range(50):
        audio = engine.synthesize("Hola, buenos días.", handle, SynthesisParams(language="es"))
        lengths.append(len(audio.samples))
        assert chatterbox_family.forward_hook_count(model.t3) == before, n
    assert len(set(lengths)) == 1  # no collapse in output length either
