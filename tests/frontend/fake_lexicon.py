"""The FakeApi's pronunciation lexicon: global and per-job entries, stale marking, audition."""

from __future__ import annotations

import re
from typing import Any

from frontend.api_protocol import LexiconBody, LexiconDeletedBody, LexiconSavedBody, Speech
from tests.frontend import fake_jobs, media, server_errors

GLOBAL = ""  # the scope of the global entries; a job's own are under its id


class FakeLexicon:
    """Mixed into FakeApi, whose `_enter`, `_job` and `records` these use. A job's own entry
    wins over a global one for the same word (matched whole, case-insensitive)."""

    records: dict[str, dict[str, Any]]
    entries: dict[str, dict[str, dict[str, Any]]]  # scope: {word lower-cased: entry}

    def _enter(self, method: str, **args: Any) -> None:
        raise NotImplementedError

    def _job(self, job_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def lexicon(self, job_id: str | None = None) -> LexiconBody:
        self._enter("lexicon", job_id=job_id)
        scope = self._scope(job_id)
        listed = sorted(self.entries.get(scope, {}).values(), key=lambda e: e["word"].lower())
        return {"entries": [dict(entry) for entry in listed]}

    def put_lexicon_entry(
        self,
        word: str,
        respelling: str | None = None,
        phonemes: str | None = None,
        job_id: str | None = None,
    ) -> LexiconSavedBody:
        self._enter("put_lexicon_entry", word=word, respelling=respelling, phonemes=phonemes,
                    job_id=job_id)  # fmt: skip
        scope = self._scope(job_id)
        if not (respelling or "").strip() and not (phonemes or "").strip():
            raise server_errors.lexicon_entry_empty()
        entry = {"word": word, "respelling": respelling, "phonemes": phonemes,
                 "updated_at": fake_jobs.stamp(3600.0 + len(self.entries.get(scope, {})))}  # fmt: skip
        self.entries.setdefault(scope, {})[word.lower()] = entry
        return {"entry": dict(entry), "stale_scenes": self._mark_stale(scope, word)}

    def delete_lexicon_entry(self, word: str, job_id: str | None = None) -> LexiconDeletedBody:
        self._enter("delete_lexicon_entry", word=word, job_id=job_id)
        scope = self._scope(job_id)
        if word.lower() not in self.entries.get(scope, {}):
            raise server_errors.lexicon_entry_not_found(word)
        del self.entries[scope][word.lower()]
        return {"deleted": word, "stale_scenes": self._mark_stale(scope, word)}

    def audition(
        self,
        word: str,
        respelling: str | None = None,
        phonemes: str | None = None,
        sentence: str | None = None,
        voice: str | None = None,
    ) -> Speech:
        self._enter("audition", word=word, respelling=respelling, phonemes=phonemes,
                    sentence=sentence, voice=voice)  # fmt: skip
        if not word.strip():
            raise server_errors.text_empty()
        return Speech(media.tone(0.5, pitch=262.0), voice=voice or "builtin", seconds=0.5)

    # -- plumbing
    def _spoken(self, job_id: str, text: str) -> str:
        """The text with the entries that apply to the job said as they respell it."""
        applying = {**self.entries.get(GLOBAL, {}), **self.entries.get(job_id, {})}
        for key, entry in applying.items():
            said = entry["respelling"] or entry["word"]
            text = re.sub(rf"\b{re.escape(key)}\b", said, text, flags=re.IGNORECASE)
        return text

    def _scope(self, job_id: str | None) -> str:
        return GLOBAL if job_id is None else self._job(job_id)["id"]

    def _mark_stale(self, scope: str, word: str) -> int:
        """The spoken scenes containing the word, in the jobs the entry applies to, made stale."""
        if scope == GLOBAL:
            jobs = [
                j
                for j in self.records.values()
                if word.lower() not in self.entries.get(j["id"], {})
            ]
        else:
            jobs = [self.records[scope]]
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
        marked = 0
        for job in jobs:
            for scene in job["scenes"]:
                if scene["audio_status"] == "completed" and pattern.search(scene["text"]):
                    scene["stale"] = True
                    marked += 1
        return marked
