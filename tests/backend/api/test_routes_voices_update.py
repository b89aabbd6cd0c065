"""PATCH /voices/{id} (backend/api/routes_voices.py): rename a library voice, set or clear its
language; every refusal in the one error body, checked as POST /voices checks its fields."""

from __future__ import annotations

import pytest

from backend.core import models
from tests.helpers.api import assert_error
from tests.helpers.audio import clip_bytes

CODES = ", ".join(models.LANGUAGES)
INVALID_SOLUTION = "Check the fields against the API documentation at /docs."


def upload(client, name: str = "Narrator", language: str | None = None) -> dict:
    form = {"name": name} | ({"language": language} if language else {})
    response = client.post(
        "/voices", files={"file": ("narrator.wav", clip_bytes(), "audio/wav")}, data=form
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_rename_answers_the_voice_under_its_id_with_the_same_clip(client):
    voice = upload(client, language="de")
    clip = client.get(f"/voices/{voice['id']}/audio").content

    response = client.patch(f"/voices/{voice['id']}", json={"name": "  Grandma   Rose "})

    assert response.status_code == 200, response.text
    assert response.json() == voice | {"name": "Grandma Rose"}
    assert client.get("/voices").json()["voices"] == [response.json()]
    assert client.get(f"/voices/{voice['id']}/audio").content == clip


def test_a_renamed_voice_is_spoken_by_its_new_name_and_stays_current(client):
    voice_id = upload(client)["id"]
    client.post("/load_voice", json={"voice_id": voice_id}).raise_for_status()

    client.patch(f"/voices/{voice_id}", json={"name": "Rose"}).raise_for_status()

    assert client.get("/voices").json()["current"] == voice_id
    spoken = client.post("/tts", json={"text": "Still me.", "voice": "rose"})
    assert spoken.status_code == 200, spoken.text
    assert spoken.headers["x-voice"] == voice_id
    assert client.post("/tts", json={"text": "Who?", "voice": "Narrator"}).status_code == 400


def test_a_language_is_set_normalised_as_on_upload_and_kept_by_a_rename(client):
    voice_id = upload(client)["id"]

    set_ = client.patch(f"/voices/{voice_id}", json={"language": " DE "})
    renamed = client.patch(f"/voices/{voice_id}", json={"name": "Oma"})

    assert set_.status_code == 200, set_.text
    assert set_.json()["language"] == "de"
    assert renamed.json()["language"] == "de"
    assert client.app.state.store.ref(voice_id).language == "de"


def test_a_null_language_clears_it_and_a_null_name_keeps_the_name(client):
    voice = upload(client, language="fr")

    response = client.patch(f"/voices/{voice['id']}", json={"name": None, "language": None})

    assert response.status_code == 200, response.text
    assert "language" not in response.json()  # as a voice uploaded without one answers
    assert response.json()["name"] == "Narrator"
    assert client.app.state.store.ref(voice["id"]).language is None


def test_an_unknown_voice_is_the_404_of_get_and_delete(client):
    body = {
        "error": "voice_not_found",
        "message": "No voice has the id 'nobody-12345678'.",
        "solution": "List the library with GET /voices.",
    }
    assert_error(client.patch("/voices/nobody-12345678", json={"name": "X"}), 404, body)
    assert_error(client.delete("/voices/nobody-12345678"), 404, body)


def test_a_deleted_voice_cannot_be_renamed_back_to_life(client):
    voice_id = upload(client)["id"]
    client.delete(f"/voices/{voice_id}").raise_for_status()

    response = client.patch(f"/voices/{voice_id}", json={"name": "Lazarus"})

    assert response.status_code == 404
    assert client.get("/voices").json()["voices"] == []


@pytest.mark.parametrize("language", ["xx", "English", "  "])
def test_an_unsupported_language_is_the_422_of_upload_listing_the_codes(client, language):
    voice = upload(client)
    code = language.strip().lower()
    body = {
        "error": "unsupported_language",
        "message": f"A voice cannot speak '{code}'.",
        "solution": f"Send one of: {CODES}.",
        "languages": list(models.LANGUAGES),
    }

    patched = client.patch(f"/voices/{voice['id']}", json={"name": "Y", "language": language})
    posted = client.post(
        "/voices",
        files={"file": ("a.wav", clip_bytes(), "audio/wav")},
        data={"language": language},
    )

    assert_error(patched, 422, body)
    assert posted.json() == patched.json()
    assert client.get("/voices").json()["voices"] == [voice]  # not even the name changed


def test_a_body_that_changes_nothing_is_422_saying_what_to_send(client):
    voice = upload(client)
    body = {
        "error": "invalid_request",
        "message": "The request changes nothing: it gives neither a name nor a language.",
        "solution": 'Send "name" (1-100 characters) and/or "language" (an ISO 639-1 code such '
        "as de, or null to clear it).",
    }
    for sent in ({}, {"name": None}):
        assert_error(client.patch(f"/voices/{voice['id']}", json=sent), 422, body)
    assert client.get("/voices").json()["voices"] == [voice]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_name_is_the_422_a_blank_upload_name_would_be(client, name):
    voice = upload(client)
    body = {
        "error": "invalid_request",
        "message": "A voice name has 1-100 characters, not 0.",
        "solution": INVALID_SOLUTION,
    }

    assert_error(client.patch(f"/voices/{voice['id']}", json={"name": name}), 422, body)
    assert client.get("/voices").json()["voices"] == [voice]


def test_a_name_over_100_characters_is_refused_as_the_upload_form_refuses_it(client):
    voice = upload(client)

    patched = client.patch(f"/voices/{voice['id']}", json={"name": "x" * 101})
    posted = client.post(
        "/voices", files={"file": ("a.wav", clip_bytes(), "audio/wav")}, data={"name": "x" * 101}
    )

    assert_error(
        patched,
        422,
        {
            "error": "invalid_request",
            "message": "The request is not valid: name: String should have at most 100 characters.",
            "solution": INVALID_SOLUTION,
        },
    )
    assert posted.json()["message"] == patched.json()["message"]
    assert client.get("/voices").json()["voices"] == [voice]


@pytest.mark.parametrize(
    "sent",
    [{"name": "Y", "path": "elsewhere.wav"}, {"id": "other-00000000"}, {"name": 7}, ["name"]],
    ids=["extra-field", "the-id", "a-number", "not-an-object"],
)
def test_fields_a_voice_edit_does_not_have_are_refused(client, sent):
    voice = upload(client)

    response = client.patch(f"/voices/{voice['id']}", json=sent)

    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_request"
    assert response.json()["solution"] == INVALID_SOLUTION
    assert client.get("/voices").json()["voices"] == [voice]


def test_the_edit_is_in_the_openapi_document_with_its_body_and_answer(client):
    operation = client.get("/openapi.json").json()["paths"]["/voices/{voice_id}"]["patch"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]

    assert schema == {"$ref": "#/components/schemas/VoiceUpdate"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Voice"
    }
    assert {"404", "422"} <= set(operation["responses"])
