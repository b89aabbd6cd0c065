"""Tests for backend/voices/store.py: the on-disk voice library and its path guard."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.errors import InvalidRequest, UnknownVoiceId, VoiceFileNotFound
from backend.core.speech import Audio
from backend.voices import store as store_module
from backend.voices.store import VoiceStore, slugify

ID = re.compile(r"[a-z0-9-]{1,48}")
META = {"filename": "rose.mp3", "original_sample_rate": 44100, "channels": 2, "format": "mp3"}


def tone(seconds: float = 4.0, rate: int = 24000) -> Audio:
    t = np.arange(round(seconds * rate)) / rate
    samples = 0.5 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    return Audio(samples=samples.astype(np.float32), sample_rate=rate)


@pytest.fixture
def import_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "imports"
    (folder / "sub").mkdir(parents=True)
    sf.write(folder / "take.wav", tone().samples, 24000)
    return folder


@pytest.fixture
def store(tmp_path: Path, import_dir: Path) -> VoiceStore:
    return VoiceStore(tmp_path / "voices", import_dir)


@pytest.fixture
def voice(store: VoiceStore) -> dict[str, object]:
    return store.add("Grandma Rose", tone(), META)


def test_added_voice_is_saved_as_pcm16_wav_with_its_metadata(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    voice_id = str(voice["id"])
    folder = store.root / voice_id

    assert re.fullmatch(r"grandma-rose-[0-9a-f]{8}", voice_id)
    info = sf.info(folder / "reference.wav")
    assert (info.format, info.subtype, info.samplerate, info.channels) == (
        "WAV",
        "PCM_16",
        24000,
        1,
    )
    saved, _ = sf.read(folder / "reference.wav", dtype="float32")
    np.testing.assert_allclose(saved, tone().samples, atol=1 / 16384)
    on_disk = json.loads((folder / "meta.json").read_text())
    assert on_disk == voice
    assert voice["name"] == "Grandma Rose"
    assert voice["duration_seconds"] == 4.0
    assert voice["sample_rate"] == 24000
    assert voice["source_filename"] == "rose.mp3"
    assert voice["original_sample_rate"] == 44100
    assert voice["path"] == f"{voice_id}/reference.wav"
    assert datetime.fromisoformat(str(voice["created_at"])).tzinfo is not None
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_added_voice_can_be_read_back_and_listed(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    assert store.get(str(voice["id"])) == voice
    assert store.list() == [voice]


def test_list_is_sorted_oldest_first_and_survives_a_new_store(
    store: VoiceStore, tmp_path: Path
) -> None:
    added = [store.add(name, tone(), {}) for name in ("Zed", "Amy", "Mia")]

    assert store.list() == added
    assert VoiceStore(tmp_path / "voices").list() == added


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("Émile Zola!!", "emile-zola"),
        ("../../etc/passwd", "etc-passwd"),
        ("日本語の声", "voice"),
        ("A" * 100, "a" * 39),
        ("  spaced   out  ", "spaced-out"),
    ],
)
def test_voice_ids_are_short_slugs_of_the_name_with_a_random_suffix(
    store: VoiceStore, name: str, prefix: str
) -> None:
    voice_id = str(store.add(name, tone(1.0), {})["id"])

    assert ID.fullmatch(voice_id)
    assert voice_id.startswith(prefix + "-")
    assert len(voice_id) <= 48


def test_two_voices_with_the_same_name_get_different_ids(store: VoiceStore) -> None:
    assert store.add("Narrator", tone(1.0), {})["id"] != store.add("Narrator", tone(1.0), {})["id"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_blank_or_overlong_name_is_an_invalid_request(store: VoiceStore, name: str) -> None:
    with pytest.raises(InvalidRequest):
        store.add(name, tone(1.0), {})
    assert store.list() == []


def test_slug_of_a_name_without_latin_letters_is_voice() -> None:
    assert slugify("Ωμέγα ★ ???") == "voice"


@pytest.mark.parametrize(
    "voice_id", ["nope-00000000", "", "../voices", "Grandma", "current.json", "a" * 80, "-x"]
)
def test_unknown_or_malformed_ids_are_404(
    store: VoiceStore, voice: dict[str, object], voice_id: str
) -> None:
    for call in (store.get, store.delete, store.ref, store.set_current):
        with pytest.raises(UnknownVoiceId) as caught:
            call(voice_id)
        assert caught.value.status_code == 404
        assert caught.value.solution == UnknownVoiceId.default_solution


def test_ref_names_the_reference_clip_and_the_voice_folder_as_cache(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    ref = store.ref(str(voice["id"]))

    assert ref.voice_id == voice["id"]
    assert ref.cache_dir == store.root / str(voice["id"])
    assert ref.audio_path == ref.cache_dir / "reference.wav"
    assert ref.audio_path.is_file()


def test_delete_removes_the_folder_with_the_engine_cache(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    voice_id = str(voice["id"])
    (store.ref(voice_id).cache_dir / "conds.pt").write_bytes(b"cached conditionals")

    store.delete(voice_id)

    assert store.list() == []
    assert list(store.root.iterdir()) == []
    with pytest.raises(UnknownVoiceId):
        store.get(voice_id)


def test_a_delete_that_a_crash_interrupted_is_finished_by_the_next_store(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    doomed = store.root / f".deleted-{voice['id']}-0123abcd"
    os.replace(store.root / str(voice["id"]), doomed)  # renamed, then the process died

    VoiceStore(store.root)

    assert list(store.root.iterdir()) == []


def test_current_voice_is_persisted_across_a_new_store(
    store: VoiceStore, voice: dict[str, object], tmp_path: Path, import_dir: Path
) -> None:
    assert store.current() is None

    store.set_current(str(voice["id"]))

    assert store.current() == voice["id"]
    assert VoiceStore(tmp_path / "voices", import_dir).current() == voice["id"]


def test_deleting_the_current_voice_clears_the_selection(
    store: VoiceStore, voice: dict[str, object], tmp_path: Path
) -> None:
    other = store.add("Other", tone(1.0), {})
    store.set_current(str(voice["id"]))

    store.delete(str(other["id"]))
    assert store.current() == voice["id"]

    store.delete(str(voice["id"]))
    assert store.current() is None
    assert not (store.root / "current.json").exists()
    assert VoiceStore(tmp_path / "voices").current() is None


def test_selection_can_be_cleared_with_none(store: VoiceStore, voice: dict[str, object]) -> None:
    store.set_current(str(voice["id"]))
    store.set_current(None)

    assert store.current() is None


def test_current_is_none_when_its_folder_vanished_behind_the_stores_back(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    store.set_current(str(voice["id"]))
    shutil.rmtree(store.root / str(voice["id"]))

    assert store.current() is None


def test_a_folder_without_meta_json_is_an_unfinished_add_and_stays_invisible(
    store: VoiceStore,
) -> None:
    (store.root / "half-done-00000000").mkdir()
    sf.write(store.root / "half-done-00000000" / "reference.wav", tone(1.0).samples, 24000)

    assert store.list() == []
    with pytest.raises(UnknownVoiceId):
        store.get("half-done-00000000")


def test_a_failed_write_leaves_no_folder_behind(
    store: VoiceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.atomic, "write_bytes", disk_full)
    with pytest.raises(OSError):
        store.add("Doomed", tone(1.0), {})

    assert list(store.root.iterdir()) == []


def test_concurrent_adds_and_deletes_leave_a_consistent_library(store: VoiceStore) -> None:
    def churn(n: int) -> str:
        kept = store.add(f"Keep {n}", tone(0.5), {})
        store.delete(str(store.add(f"Drop {n}", tone(0.5), {})["id"]))
        store.set_current(str(kept["id"]))
        return str(kept["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        kept = set(pool.map(churn, range(24)))

    assert {v["id"] for v in store.list()} == kept
    assert store.current() in kept
    assert sorted(p.name for p in store.root.iterdir()) == sorted([*kept, "current.json"])


def test_library_reference_resolves_by_relative_and_absolute_path(
    store: VoiceStore, voice: dict[str, object]
) -> None:
    expected = store.root / str(voice["id"]) / "reference.wav"

    assert store.resolve_path(str(voice["path"])) == expected
    assert store.resolve_path(str(expected)) == expected
    assert store.voice_id_for_path(store.resolve_path(str(voice["path"]))) == voice["id"]


def test_import_folder_file_resolves_and_is_not_a_library_voice(
    store: VoiceStore, import_dir: Path
) -> None:
    resolved = store.resolve_path(str(import_dir / "take.wav"))

    assert resolved == import_dir / "take.wav"
    assert store.voice_id_for_path(resolved) is None


def test_symlink_that_stays_inside_the_import_folder_resolves_to_its_target(
    store: VoiceStore, import_dir: Path
) -> None:
    (import_dir / "sub" / "alias.wav").symlink_to(import_dir / "take.wav")

    assert store.resolve_path(str(import_dir / "sub" / "alias.wav")) == import_dir / "take.wav"


def test_without_an_import_folder_only_library_voices_resolve(
    tmp_path: Path, import_dir: Path
) -> None:
    store = VoiceStore(tmp_path / "voices")
    with pytest.raises(VoiceFileNotFound):
        store.resolve_path(str(import_dir / "take.wav"))


def _hostile_paths(store: VoiceStore, voice_id: str, import_dir: Path, tmp_path: Path) -> list:
    """Every way of naming something that is not a library clip or an import file."""
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"RIFF secret")
    (store.root / voice_id / "escape.wav").symlink_to(outside)
    (import_dir / "escape.wav").symlink_to(outside)
    (import_dir / "outdir").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(import_dir / "pipe.wav")
    take = str(import_dir / "take.wav")
    return [
        "missing.wav",
        "nope-00000000/reference.wav",
        "../imports/take.wav",
        f"{voice_id}/../{voice_id}/reference.wav",
        "../../../../../../etc/passwd",
        "%2e%2e%2fimports%2ftake.wav",
        "%2E%2E/%2E%2E/secret.wav",
        "..%2f..%2fsecret.wav",
        "%252e%252e%252fsecret.wav",
        "/etc/passwd",
        str(outside),
        "C:\\Windows\\win.ini",
        "C:/Windows/win.ini",
        "c:secret.wav",
        "..\\imports\\take.wav",
        f"{voice_id}\\reference.wav",
        "\\\\server\\share\\voice.wav",
        "//server/share/voice.wav",
        take + "\x00.png",
        "%00",
        "\udd00",
        "\udc80secret.wav",
        f"{voice_id}/reference.wav%00",
        f"{voice_id}/escape.wav",
        str(import_dir / "escape.wav"),
        str(import_dir / "outdir" / "secret.wav"),
        str(import_dir / "pipe.wav"),
        str(import_dir),
        str(import_dir / "sub"),
        voice_id,
        str(store.root),
        "",
        ".",
        "current.json",
        f"{voice_id}/meta.json",
        "a" * 5000,
        None,
    ]


@pytest.mark.timeout(30)  # opening the named pipe would block: the guard must only stat
def test_every_refused_path_gets_the_byte_identical_not_found_body(
    store: VoiceStore, voice: dict[str, object], import_dir: Path, tmp_path: Path
) -> None:
    store.set_current(str(voice["id"]))
    expected = json.dumps(VoiceFileNotFound().to_dict(), sort_keys=True)

    for raw in _hostile_paths(store, str(voice["id"]), import_dir, tmp_path):
        with pytest.raises(VoiceFileNotFound) as caught:
            store.resolve_path(raw)
        assert caught.value.status_code == 400
        assert json.dumps(caught.value.to_dict(), sort_keys=True) == expected, raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.text(alphabet=st.sampled_from("./\\%2eEfC:a\x00~ ") | st.characters(), max_size=40))
def test_any_text_either_resolves_inside_the_library_or_gets_the_same_refusal(raw: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "imports").mkdir()
        store = VoiceStore(Path(tmp) / "voices", Path(tmp) / "imports")
        try:
            resolved = store.resolve_path(raw)
        except VoiceFileNotFound as refusal:
            assert refusal.to_dict() == VoiceFileNotFound().to_dict()
        else:
            assert resolved.is_relative_to(store.root) or resolved.is_relative_to(store.import_dir)
