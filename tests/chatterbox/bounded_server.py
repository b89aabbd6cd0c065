"""The real server around the real ChatterboxEngine and chatterbox-tts, with test instruments.

Run by tests/chatterbox in the environment that has chatterbox-tts (its torch 2.6.0 pin). Settings
come from CHATTERBOX_* variables as usual; the instruments from these:
- BOUNDED_TOKENS: every generate makes exactly this many speech tokens (random weights would
  otherwise run to the 1000-token cap; see studio_tools.bounded_generation);
- BOUNDED_CALL_LOG: a file that gets one line per `prepare_conditionals` call (a voice embedding);
- INJECT_OOM_OVER_CHARS: a generate whose text is longer than this raises CUDA out-of-memory in
  T3's transformer, as a too-small card would;
- SIMILARITY_LOG: a file that gets one line per speaker check, the score the real code computed;
- FORCE_LOW_SIMILARITY_EVERY: N makes the 1st, (N+1)th, (2N+1)th... speaker check answer -1.0
  (after computing the real score), so with N=2 every scene's first take fails the check.
The engine runs in its engine host process, as in the product. Everything else is the product's
code, unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import uvicorn

from backend.core.settings import Settings
from backend.engines.chatterbox import ChatterboxEngine
from backend.engines.select import build_catalog
from backend.main import create_app
from studio_tools.bounded_generation import bound_tokens


class InstrumentedChatterbox(ChatterboxEngine):
    similarity_calls = 0

    def load(self) -> None:
        super().load()
        model = self._model
        if getattr(model, "_instrumented", False):
            return
        model._instrumented = True
        bound_tokens(model, int(os.environ["BOUNDED_TOKENS"]))
        _log_embeddings(model, Path(os.environ["BOUNDED_CALL_LOG"]))
        if limit := os.environ.get("INJECT_OOM_OVER_CHARS"):
            _inject_oom(model, int(limit))

    def speaker_similarity(self, audio: Any, handle: Any) -> float | None:
        score = super().speaker_similarity(audio, handle)
        if log := os.environ.get("SIMILARITY_LOG"):
            with Path(log).open("a") as scores:
                scores.write(f"{score!r}\n")
        self.similarity_calls += 1
        every = int(os.environ.get("FORCE_LOW_SIMILARITY_EVERY", "0"))
        if every and (self.similarity_calls - 1) % every == 0:
            return -1.0
        return score


def _log_embeddings(model: Any, log: Path) -> None:
    embed = model.prepare_conditionals

    def logged(wav_fpath: str, exaggeration: float = 0.5) -> None:
        with log.open("a") as handle:
            handle.write(f"{wav_fpath}\n")
        embed(wav_fpath, exaggeration=exaggeration)

    model.prepare_conditionals = logged


def _inject_oom(model: Any, limit: int) -> None:
    import torch

    generate, text_chars = model.generate, [0]

    def measured(text: str, **kwargs: Any) -> Any:
        text_chars[0] = len(text)
        return generate(text, **kwargs)

    def pre_hook(_module: Any, _args: Any) -> None:
        if text_chars[0] > limit:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected by the test)")

    model.generate = measured
    model.t3.tfmr.register_forward_pre_hook(pre_hook)


def main() -> None:
    settings = Settings()
    # Every installed model of the family (and Piper), each in an engine host as the product
    # runs them; the class is found in this script by spawn.
    app = create_app(settings, build_catalog(settings, chatterbox=InstrumentedChatterbox))
    uvicorn.run(app, host="127.0.0.1", port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
