"""FakeApi's voice edits (update_voice, PATCH /voices/{id}) keep the server's contract: the same
answers, validated against its Voice model, and every refusal in the server's own words.

test_fake_api.py holds both sides to StudioApi's signatures and answer models; here a real
ApiClient talks to the backend on a loopback port (uvicorn, fake engine), as there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from frontend.api_client import ApiClient, ApiError
from tests.frontend.answers import conforms
from tests.frontend.cloning_server import cloning_serving
from tests.frontend.fake_api import FakeApi
from tests.helpers.audio import clip_bytes


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ApiClient]:
    with cloning_serving(tmp_path_factory.mktemp("fake-contract-voices")) as api:
        yield api


@pytest.fixture
def both(server: ApiClient) -> tuple[ApiClient, FakeApi]:
    return server, FakeApi(engine="chatterbox")


def test_a_voice_edit_answers_as_the_servers_model_says_and_alike(both):
    answers = []
    for api in both:
        voice = api.add_voice("me.wav", clip_bytes(5.0), "Me", "fr")
        renamed = api.update_voice(voice["id"], {"name": "  Grandma  Rose ", "language": " DE"})
        cleared = api.update_voice(voice["id"], {"language": None})
        conforms("update_voice", renamed)
        conforms("update_voice", cleared)
        assert renamed == voice | {"name": "Grandma Rose", "language": "de"}, api
        assert [v for v in api.voices()["voices"] if v["id"] == voice["id"]] == [cleared], api
        answers.append((renamed["name"], cleared["name"], "language" in cleared))
        api.delete_voice(voice["id"])

    assert answers[1] == answers[0] == ("Grandma Rose", "Grandma Rose", False)


REFUSALS: dict[str, Callable[[Any, str], Any]] = {
    "an unknown voice": lambda api, _: api.update_voice("nobody-00000000", {"name": "X"}),
    "nothing to change": lambda api, voice_id: api.update_voice(voice_id, {}),
    "only a null name": lambda api, voice_id: api.update_voice(voice_id, {"name": None}),
    "a language nobody speaks": lambda api, voice_id: api.update_voice(
        voice_id, {"language": "xx"}
    ),
    "a language code too long": lambda api, voice_id: api.update_voice(
        voice_id, {"language": "x" * 11}
    ),
    "a blank name": lambda api, voice_id: api.update_voice(voice_id, {"name": " \t "}),
    "a name over 100 characters": lambda api, voice_id: api.update_voice(
        voice_id, {"name": "x" * 101}
    ),
    "a field there is not": lambda api, voice_id: api.update_voice(voice_id, {"path": "x.wav"}),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_fake_refuses_a_voice_edit_in_the_servers_words(both, case: str):
    refusals = []
    for api in both:
        voice = api.add_voice("me.wav", clip_bytes(5.0), "Me")
        with pytest.raises(ApiError) as caught:
            REFUSALS[case](api, voice["id"])
        error = caught.value
        refusals.append((error.code, error.status, error.message, error.solution, error.details))
        assert api.voices()["voices"][-1] == voice, api  # nothing of it changed
        api.delete_voice(voice["id"])

    assert refusals[1] == refusals[0]
    assert refusals[0][3], "every refusal says what to do"
