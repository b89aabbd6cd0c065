"""Tests for backend/jobs/lexicon.py: entries by scope on a real SQLite file, and the stale
marks a change leaves on exactly the scenes it affects."""

from __future__ import annotations

import pytest

from backend.core.errors import JobNotFound, LexiconEntryInvalid, LexiconEntryNotFound
from backend.jobs.lexicon import GLOBAL, Lexicon
from backend.jobs.store import JobStore


def narrated_job(store: JobStore, texts: list[str], spoken: int | None = None) -> str:
    """A job with a scene per text; the first `spoken` (default all) have their audio."""
    job = store.create_job("t", "text", None, None, {}, None)
    store.add_scenes(job["id"], [{"text": t, "page": None, "bbox": None} for t in texts])
    for _ in range(len(texts) if spoken is None else spoken):
        scene = store.claim_next_scene(job["id"])
        assert scene is not None
        store.complete_scene(job["id"], scene["idx"], f"/audio/{scene['idx']}.wav", 1.0, 0.5)
    return job["id"]


def stale(store: JobStore, job_id: str) -> list[int]:
    return [s["idx"] for s in store.get_job(job_id)["scenes"] if s["stale"]]


@pytest.fixture
def store(tmp_path):
    store = JobStore(tmp_path / "jobs.db")
    yield store
    store.close()


@pytest.fixture
def lexicon(tmp_path, store):
    lexicon = Lexicon(tmp_path / "jobs.db")
    yield lexicon
    lexicon.close()


def test_a_global_entry_marks_exactly_the_spoken_scenes_with_the_whole_word(store, lexicon):
    one = narrated_job(
        store,
        ["Nguyen spoke first.", "Then NGUYEN's friend.", "Nguyenville is a town.", "Nobody."],
    )
    other = narrated_job(store, ["Ask nguyen.", "Nguyen again."], spoken=1)
    entry, marked = lexicon.put(GLOBAL, "Nguyen", "win", None)
    assert (entry.word, entry.respelling, entry.phonemes) == ("Nguyen", "win", None)
    assert marked == 3
    assert stale(store, one) == [1, 2]
    assert stale(store, other) == [1]  # scene 2 has no audio yet: it will be spoken right


def test_a_global_change_skips_jobs_with_their_own_entry_for_the_word(store, lexicon):
    own, plain = narrated_job(store, ["Nguyen."]), narrated_job(store, ["Nguyen."])
    lexicon.put(own, "nguyen", "nwen", None)
    assert stale(store, own) == [1]
    with store._write() as db:  # the audio was re-made: clear the marks to see the next change
        db.execute("UPDATE scenes SET stale = 0")
    _, marked = lexicon.put(GLOBAL, "Nguyen", "win", None)
    assert marked == 1
    assert (stale(store, own), stale(store, plain)) == ([], [1])


def test_a_job_entry_wins_over_the_global_one(store, lexicon):
    job = narrated_job(store, ["Nguyen."])
    lexicon.put(GLOBAL, "Nguyen", "win", None)
    lexicon.put(GLOBAL, "Rzeszów", "zheshoof", None)
    lexicon.put(job, "NGUYEN", None, "nwˈɛn")
    words = lexicon.lexicon_for(job)
    assert set(words) == {"nguyen", "rzeszów"}
    assert (words["nguyen"].scope, words["nguyen"].phonemes) == (job, "nwˈɛn")
    assert lexicon.lexicon_for("another job")["nguyen"].respelling == "win"


def test_changing_an_entry_keeps_one_entry_whatever_the_case(store, lexicon):
    lexicon.put(GLOBAL, "Nguyen", "win", None)
    entry, _ = lexicon.put(GLOBAL, "NGUYEN", "nwin", None)
    assert [(e.word, e.respelling) for e in lexicon.entries()] == [("NGUYEN", "nwin")]
    assert entry.word == "NGUYEN"


def test_deleting_an_entry_marks_its_scenes_and_a_missing_one_is_not_found(store, lexicon):
    job = narrated_job(store, ["Über alles.", "über."])
    lexicon.put(GLOBAL, "ÜBER", "ueber", None)  # not ASCII: matched without SQLite's LIKE
    assert stale(store, job) == [1, 2]
    with store._write() as db:
        db.execute("UPDATE scenes SET stale = 0")
    assert lexicon.delete(GLOBAL, "über") == ("ÜBER", 2)
    assert stale(store, job) == [1, 2]
    with pytest.raises(LexiconEntryNotFound):
        lexicon.delete(GLOBAL, "über")


def test_a_word_with_like_wildcards_matches_only_itself(store, lexicon):
    job = narrated_job(store, ["50% off", "500 off", "a_b here", "axb here"])
    lexicon.put(GLOBAL, "a_b", "a b", None)
    assert stale(store, job) == [3]


@pytest.mark.parametrize(
    ("word", "respelling", "phonemes"),
    [
        ("Nguyen", None, None),
        ("Nguyen", "  ", ""),
        ("   ", "win", None),
        ("...", "dots", None),
        ("x" * 101, "win", None),
        ("Nguyen", "w" * 201, None),
        ("Nguyen", None, "[[ wɪn ]]"),
    ],
)
def test_an_entry_without_a_word_or_a_spelling_is_refused(lexicon, word, respelling, phonemes):
    with pytest.raises(LexiconEntryInvalid):
        lexicon.put(GLOBAL, word, respelling, phonemes)
    assert lexicon.entries() == []


def test_a_job_that_is_not_there_has_no_lexicon(lexicon):
    with pytest.raises(JobNotFound):
        lexicon.entries("no-such-job")
    with pytest.raises(JobNotFound):
        lexicon.put("no-such-job", "Nguyen", "win", None)


def test_entries_survive_a_restart(tmp_path, store, lexicon):
    lexicon.put(GLOBAL, "Nguyen", "win", "wˈɪn")
    lexicon.close()
    again = Lexicon(tmp_path / "jobs.db")
    try:
        [entry] = again.entries()
        assert (entry.word, entry.respelling, entry.phonemes) == ("Nguyen", "win", "wˈɪn")
    finally:
        again.close()
