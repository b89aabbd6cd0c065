"""The pronunciation lexicon's requests and answers (/lexicon, /jobs/{id}/lexicon)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas import AudioFormat, ResponseBody
from backend.text.normalize_lexicon import MAX_SPELLING_CHARS, MAX_WORD_CHARS


class LexiconEntryPublic(ResponseBody):
    """How one word is said. Times are ISO 8601 UTC."""

    word: str = Field(description="As first written; matched as a whole word in any case.")
    respelling: str | None = Field(description="Letters the voice reads instead of the word.")
    phonemes: str | None = Field(description="IPA a Piper voice speaks instead of the word.")
    updated_at: str


class LexiconList(ResponseBody):
    """GET /lexicon, GET /jobs/{id}/lexicon."""

    entries: list[LexiconEntryPublic] = Field(description="By word, in any case.")


class LexiconChange(BaseModel):
    """PUT /lexicon/{word}: at least one of the two."""

    model_config = ConfigDict(extra="forbid")

    respelling: str | None = Field(None, max_length=MAX_SPELLING_CHARS, examples=["win"])
    phonemes: str | None = Field(None, max_length=MAX_SPELLING_CHARS, examples=["w\u02c8\u026an"])


class LexiconPut(ResponseBody):
    """The entry as stored, and how many scenes with audio it made stale."""

    entry: LexiconEntryPublic
    stale_scenes: int


class LexiconDeleted(ResponseBody):
    deleted: str = Field(description="The word, as it was stored.")
    stale_scenes: int


class AuditionRequest(BaseModel):
    """POST /lexicon/audition: one sentence spoken with the entry given, or (with neither
    respelling nor phonemes) with the global entry for the word."""

    model_config = ConfigDict(extra="forbid")

    word: str = Field(min_length=1, max_length=MAX_WORD_CHARS)
    respelling: str | None = Field(None, max_length=MAX_SPELLING_CHARS)
    phonemes: str | None = Field(None, max_length=MAX_SPELLING_CHARS)
    sentence: str | None = Field(
        None, max_length=500, description="Default: a sentence built around the word."
    )
    voice: str | None = Field(None, description="Library id or name, alias, or 'builtin'.")
    model: str | None = Field(None, max_length=100)
    format: AudioFormat = "wav"
