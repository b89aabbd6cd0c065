"""TEST FAKE: spacy_pkuseg's config object, with the default model's address and hash."""

from __future__ import annotations

from types import SimpleNamespace

config = SimpleNamespace(
    model_urls={"spacy_ontonotes": "https://example.invalid/spacy_ontonotes.zip"},
    model_hash={"spacy_ontonotes": "b216e7f92de7ae28"},
)
