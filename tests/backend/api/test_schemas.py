"""The OpenAPI document is typed: each JSON answer names its response model, and a model refuses
a key it does not name (so FastAPI's response validation catches a route that drifts)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from backend.api.schemas_jobs import JobDeleted
from backend.api.schemas_model import MemoryReading
from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.main import create_app

DOCUMENT = create_app(Settings(_env_file=None), FakeEngine()).openapi()
OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
}


def _refs(schema: dict) -> list[str]:
    """The component names a schema points at: itself a $ref, or an anyOf of $refs."""
    options = schema.get("anyOf", [schema])
    return [option["$ref"].rsplit("/", 1)[1] for option in options if "$ref" in option]


DOWNLOADS = {"application/epub+zip", "application/x-subrip"}  # read-along EPUB, SRT subtitles


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_documents_its_success_body_with_a_named_schema_or_a_media_type(
    label: str,
):
    responses = OPERATIONS[label]["responses"]
    successes = {s: r for s, r in responses.items() if s.startswith("2") and s != "204"}
    assert len(successes) == 1, label
    assert "content" not in responses.get("204", {}), f"{label}: a 204 has no body"
    (response,) = successes.values()
    content = response.get("content", {})
    assert content, f"{label} documents no body"
    if "application/json" not in content:  # audio, images, event streams, book and subtitles
        assert all(
            media.split("/")[0] in ("audio", "image", "text") or media in DOWNLOADS
            for media in content
        ), content
        return
    schema = content["application/json"]["schema"]
    names = _refs(schema)
    assert names and len(names) == len(schema.get("anyOf", [schema])), f"{label}: {schema}"
    for name in names:
        component = DOCUMENT["components"]["schemas"][name]
        assert component["type"] == "object" and component["properties"], name


def test_the_json_answers_are_the_models_the_routes_declare():
    def answer(label: str) -> list[str]:
        responses = OPERATIONS[label]["responses"]
        status = next(s for s in responses if s.startswith("2"))
        return _refs(responses[status]["content"]["application/json"]["schema"])

    assert answer("GET /health") == ["Health", "HealthOutline"]
    assert answer("GET /jobs/{job_id}") == ["JobPublic"]
    assert answer("POST /jobs") == ["JobPublic"]
    assert answer("GET /jobs/{job_id}/scenes") == ["ScenesPage"]
    assert answer("POST /model/unload") == ["ModelUnload"]
    assert answer("GET /v1/models") == ["OpenAIModelList"]


def test_a_response_model_refuses_a_key_it_does_not_name():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        JobDeleted.model_validate({"deleted": "0" * 32, "job": {}})


def test_the_memory_readings_of_an_unload_take_keys_a_newer_manager_adds():
    reading = {"rss_bytes": 1, "vram_allocated_bytes": None, "vram_reserved_bytes": None}

    parsed = MemoryReading.model_validate({**reading, "some_new_bytes": 2})

    assert parsed.model_dump(exclude_unset=True) == {**reading, "some_new_bytes": 2}
