"""Multilingual 0.1.7's two call-level bugs against the real package, and our guards, as JSON.

    python tests/chatterbox/probe_multilingual.py FOLDER CALLS

Run by tests/chatterbox/test_multilingual_guards.py in the environment that has chatterbox-tts.
- Short texts, with the alignment analyzer seeing its real attention (blind_alignment=False):
  upstream's generate on "A" and "?" as it is (its IndexError), then through
  chatterbox_family.generate (padded with pauses).
- CALLS bounded calls in a row through chatterbox_family.generate: the forward hooks on T3
  after each, and the samples of each.
The last line of stdout is the JSON report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from backend.core.speech import SynthesisParams
from backend.engines import chatterbox_family
from chatterbox.mtl_tts import ChatterboxMultilingualTTS
from studio_tools.bounded_generation import bound_tokens

SHORT = ("A", "?")
TOKENS = 4  # per short-text call
CALL_TOKENS = 1  # per call of the fifty: what is measured is the hooks and the length
SENTENCE = "Guten Tag."


def short_texts(tts: ChatterboxMultilingualTTS) -> dict:
    bound = bound_tokens(tts, TOKENS, blind_alignment=False)
    report = {}
    for text in SHORT:
        torch.manual_seed(0)
        try:
            tts.generate(text, language_id="en")
            upstream = "ok"
        except Exception as exc:  # what 0.1.7 raises is the finding
            upstream = type(exc).__name__
        torch.manual_seed(0)
        wav = chatterbox_family.generate(
            "multilingual", tts, text, tts.conds, 0.5, SynthesisParams(language="en")
        )
        report[text] = {"upstream": upstream, "guarded_samples": int(wav.shape[-1])}
    bound.remove()
    return report


def many_calls(tts: ChatterboxMultilingualTTS, calls: int) -> dict:
    bound = bound_tokens(tts, CALL_TOKENS)
    hooks, samples = [chatterbox_family.forward_hook_count(tts.t3)], []
    for seed in range(calls):
        torch.manual_seed(seed)
        wav = chatterbox_family.generate(
            "multilingual", tts, SENTENCE, tts.conds, 0.5, SynthesisParams(language="de")
        )
        hooks.append(chatterbox_family.forward_hook_count(tts.t3))
        samples.append(int(wav.shape[-1]))
    bound.remove()
    return {"hooks": hooks, "samples": samples}


def main() -> None:
    folder, calls = Path(sys.argv[1]), int(sys.argv[2])
    tts = ChatterboxMultilingualTTS.from_local(folder, "cpu")
    report = {
        "short": short_texts(tts),
        "calls": many_calls(tts, calls),
        "tokens": TOKENS,
        "call_tokens": CALL_TOKENS,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
