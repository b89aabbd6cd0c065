"""The /v1 answers in OpenAI's shapes: the model list, one model, the voice names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from backend.api.schemas import ResponseBody


class OpenAIModel(ResponseBody):
    id: str = Field(description="The engine's name or one of OpenAI's model names.")
    object: Literal["model"]
    created: int = Field(description="Unix time the server started.")
    owned_by: str


class OpenAIModelList(ResponseBody):
    object: Literal["list"]
    data: list[OpenAIModel]


class OpenAIVoice(ResponseBody):
    id: str = Field(description="What `voice` accepts.")
    name: str = Field(description="Words for a person choosing it.")


class OpenAIVoiceList(ResponseBody):
    voices: list[OpenAIVoice]
