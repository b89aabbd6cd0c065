"""Tests for backend/voices/store.py's `update`: a voice renamed, its language set or cleared."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backend.core.errors import InvalidRequest, UnknownVoiceId
from backend.voices import store as store_module
from backend.voices.store import VoiceStore
from tests.backend.voices.test_store import META, tone


@pytest.fixture
def store(tmp_path: Path) -> VoiceStore:
    return VoiceStore(tmp_path / "voices")


@pytest.fixture
def voice_id(store: VoiceStore) -> str:
    return str(store.add("Grandma Rose", tone(), META)["id"])


def meta_of(store: VoiceStore, voice_id: str) -> dict[str, object]:
    return json.loads((store.root / voice_id / "meta.json").read_text())


def test_a_rename_keeps_the_id_the_clip_and_the_engines_cache(
    store: VoiceStore, voice_id: str
) -> None:
    folder = store.root / voice_id
    (folder / "conds.pt").write_bytes(b"cached conditionals")
    before = meta_of(store, voice_id)
    # What Chatterbox's prepare_voice keys its cache on: the clip's mtime and size.
    clip = (folder / "reference.wav").stat()
    cache = (folder / "conds.pt").stat()

    renamed = store.update(voice_id, {"name": "  Nana   Rose "})

    assert renamed == before | {"name": "Nana Rose"}  # spaces collapsed as `add` does
    assert store.get(voice_id) == renamed
    assert VoiceStore(store.root).get(voice_id)["name"] == "Nana Rose"  # on disk
    after = (folder / "reference.wav").stat()
    assert (after.st_mtime_ns, after.st_size) == (clip.st_mtime_ns, clip.st_size)
    assert (folder / "conds.pt").stat().st_mtime_ns == cache.st_mtime_ns
    assert sorted(p.name for p in store.root.iterdir()) == [voice_id]
    assert sorted(p.name for p in folder.iterdir()) == ["conds.pt", "meta.json", "reference.wav"]


def test_a_language_is_set_changed_and_cleared(store: VoiceStore, voice_id: str) -> None:
    assert store.update(voice_id, {"language": "de"})["language"] == "de"
    assert store.ref(voice_id).language == "de"

    assert store.update(voice_id, {"language": "fr", "name": "Rose"})["language"] == "fr"
    cleared = store.update(voice_id, {"language": None})

    assert "language" not in cleared  # as a voice uploaded without one reads
    assert "language" not in meta_of(store, voice_id)
    assert store.ref(voice_id).language is None
    assert cleared["name"] == "Rose"  # what `changes` leaves out stays


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_blank_or_overlong_name_is_refused_as_add_refuses_it(
    store: VoiceStore, voice_id: str, name: str
) -> None:
    before = meta_of(store, voice_id)
    with pytest.raises(InvalidRequest) as caught:
        store.update(voice_id, {"name": name, "language": "de"})

    assert caught.value.message.startswith("A voice name has 1-100 characters, not ")
    assert meta_of(store, voice_id) == before  # nothing of the change was kept


@pytest.mark.parametrize("unknown", ["nope-00000000", "../voices", "current.json", ""])
def test_an_unknown_or_deleted_voice_is_404(store: VoiceStore, voice_id: str, unknown: str) -> None:
    store.delete(voice_id)
    for missing in (voice_id, unknown):
        with pytest.raises(UnknownVoiceId) as caught:
            store.update(missing, {"name": "Ghost"})
        assert caught.value.status_code == 404
    assert list(store.root.iterdir()) == []  # no folder brought back


def test_only_the_name_and_the_language_can_change(store: VoiceStore, voice_id: str) -> None:
    with pytest.raises(ValueError, match="path"):
        store.update(voice_id, {"path": "elsewhere.wav"})
    assert store.get(voice_id)["path"] == f"{voice_id}/reference.wav"


def test_a_failed_write_keeps_the_old_metadata_whole(
    store: VoiceStore, voice_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = meta_of(store, voice_id)

    def disk_full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.atomic.os, "replace", disk_full)
    with pytest.raises(OSError):
        store.update(voice_id, {"name": "Doomed"})
    monkeypatch.undo()

    assert meta_of(store, voice_id) == before
    assert sorted(os.listdir(store.root / voice_id)) == ["meta.json", "reference.wav"]


def test_concurrent_renames_and_reads_see_whole_records(store: VoiceStore, voice_id: str) -> None:
    names = {f"Name {n}" for n in range(16)}

    def rename(name: str) -> set[str]:
        store.update(voice_id, {"name": name})
        return {str(v["name"]) for v in store.list()}

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = set().union(*pool.map(rename, sorted(names)))

    assert seen <= names
    assert store.get(voice_id)["name"] in names
    assert meta_of(store, voice_id) == store.get(voice_id)
