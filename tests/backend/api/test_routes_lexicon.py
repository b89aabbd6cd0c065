"""Tests for backend/api/routes_lexicon.py over the app: global and per-job entries, the stale
scenes a change reports, the errors, and the audition (the fake engine, and real Piper)."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
import soundfile as sf

from backend.core.settings import Settings
from backend.engines.piper import PiperEngine
from tests.helpers.api import assert_error

ERROR = {"error": "", "message": "", "solution": ""}


def narrated_job(client, texts: list[str]) -> str:
    """A job whose scenes all have audio, written to the server's own store (the worker is not
    told of it, so nothing else changes it)."""
    store = client.app.state.jobs.store
    job = store.create_job("t", "text", None, None, {}, None)
    store.add_scenes(job["id"], [{"text": t, "page": None, "bbox": None} for t in texts])
    while (scene := store.claim_next_scene(job["id"])) is not None:
        store.complete_scene(job["id"], scene["idx"], f"/a/{scene['idx']}.wav", 1.0, 0.5)
    return job["id"]


def stale(client, job_id: str) -> list[int]:
    scenes = client.app.state.jobs.store.get_job(job_id)["scenes"]
    return [scene["idx"] for scene in scenes if scene["stale"]]


def test_the_global_lexicon_lists_what_was_put_and_forgets_what_was_deleted(client):
    assert client.get("/lexicon").json() == {"entries": []}
    put = client.put("/lexicon/Nguyen", json={"respelling": "win"})
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["stale_scenes"] == 0
    assert {k: body["entry"][k] for k in ("word", "respelling", "phonemes")} == {
        "word": "Nguyen",
        "respelling": "win",
        "phonemes": None,
    }
    client.put("/lexicon/Aoife", json={"phonemes": "ˈiːfə"})
    words = [entry["word"] for entry in client.get("/lexicon").json()["entries"]]
    assert words == ["Aoife", "Nguyen"]
    assert client.delete("/lexicon/nguyen").json() == {"deleted": "Nguyen", "stale_scenes": 0}
    assert [e["word"] for e in client.get("/lexicon").json()["entries"]] == ["Aoife"]


def test_a_change_reports_and_marks_the_scenes_that_contain_the_word(client):
    first = narrated_job(client, ["Nguyen said hello.", "Nobody answered.", "NGUYEN left."])
    second = narrated_job(client, ["Nguyen's book.", "The end."])
    assert client.put("/lexicon/Nguyen", json={"respelling": "win"}).json()["stale_scenes"] == 3
    assert (stale(client, first), stale(client, second)) == ([1, 3], [1])


def test_a_job_entry_marks_only_that_jobs_scenes_and_shadows_the_global_one(client):
    own = narrated_job(client, ["Nguyen said hello."])
    other = narrated_job(client, ["Nguyen said hello."])
    put = client.put(f"/jobs/{own}/lexicon/Nguyen", json={"respelling": "nwen"})
    assert put.json()["stale_scenes"] == 1
    assert (stale(client, own), stale(client, other)) == ([1], [])
    assert [e["word"] for e in client.get(f"/jobs/{own}/lexicon").json()["entries"]] == ["Nguyen"]
    assert client.get(f"/jobs/{other}/lexicon").json() == {"entries": []}
    assert client.put("/lexicon/Nguyen", json={"respelling": "win"}).json()["stale_scenes"] == 1
    assert client.app.state.lexicon.lexicon_for(own)["nguyen"].respelling == "nwen"
    deleted = client.delete(f"/jobs/{own}/lexicon/NGUYEN")
    assert deleted.json() == {"deleted": "Nguyen", "stale_scenes": 1}
    assert client.app.state.lexicon.lexicon_for(own)["nguyen"].respelling == "win"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "lexicon_entry_invalid"),
        ({"respelling": "  "}, "lexicon_entry_invalid"),
        ({"phonemes": "[[ wɪn ]]"}, "lexicon_entry_invalid"),
        ({"respelling": "w" * 201}, "invalid_request"),
        ({"respelling": "win", "spelling": "x"}, "invalid_request"),
    ],
)
def test_an_entry_without_a_usable_spelling_is_refused_with_the_fix(client, body, code):
    response = client.put("/lexicon/Nguyen", json=body)
    assert_error(response, 422, ERROR | {"error": code})
    assert client.get("/lexicon").json() == {"entries": []}


def test_deleting_a_word_that_is_not_there_is_not_found(client):
    assert_error(
        client.delete("/lexicon/Nguyen"), 404, ERROR | {"error": "lexicon_entry_not_found"}
    )


def test_a_job_that_is_not_there_has_no_lexicon(client):
    assert_error(client.get("/jobs/nope/lexicon"), 404, ERROR | {"error": "job_not_found"})
    put = client.put("/jobs/nope/lexicon/Nguyen", json={"respelling": "win"})
    assert_error(put, 404, ERROR | {"error": "job_not_found"})


def test_an_audition_speaks_the_sentence_with_the_entry_it_is_given(client):
    response = client.post("/lexicon/audition", json={"word": "Nguyen", "respelling": "win"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert unquote(response.headers["x-spoken-text"]) == "Here is how Win sounds: Win."
    samples, _ = sf.read(io.BytesIO(response.content))
    assert len(samples) > 0
    assert client.get("/lexicon").json() == {"entries": []}  # an audition stores nothing


def test_an_audition_without_a_spelling_uses_the_stored_entry_or_says_there_is_none(client):
    missing = client.post("/lexicon/audition", json={"word": "Nguyen"})
    assert_error(missing, 404, ERROR | {"error": "lexicon_entry_not_found"})
    client.put("/lexicon/Nguyen", json={"respelling": "win"})
    heard = client.post(
        "/lexicon/audition", json={"word": "nguyen", "sentence": "Mr. Nguyen paid $5."}
    )
    assert unquote(heard.headers["x-spoken-text"]) == "Mister Win paid five dollars."


def test_a_piper_audition_speaks_the_phonemes_as_a_raw_phoneme_block(make_client):
    client = make_client(PiperEngine(Settings(_env_file=None)))
    with_phonemes = client.post(
        "/lexicon/audition", json={"word": "Nguyen", "phonemes": "wˈɪn", "respelling": "win"}
    )
    assert with_phonemes.status_code == 200, with_phonemes.text
    spoken = unquote(with_phonemes.headers["x-spoken-text"])
    assert spoken == "Here is how [[ wˈɪn ]] sounds: [[ wˈɪn ]]."
    plain = client.post("/lexicon/audition", json={"word": "Nguyen", "respelling": "win"})
    # The raw phonemes are spoken, not read out letter by letter: about as long as the word.
    seconds = [float(r.headers["x-audio-seconds"]) for r in (with_phonemes, plain)]
    assert abs(seconds[0] - seconds[1]) < 0.5, seconds
