"""Load a test checkpoint through the real `from_local` and report what it does, as JSON.

    python tests/chatterbox/probe_checkpoint.py MODEL FOLDER TOKENS

Run by tests/chatterbox/test_make_test_checkpoint.py in the environment that has chatterbox-tts.
Two bounded `generate` calls (the second shows the bound starts again on a new call), the
tokenizer's view of some texts, and the counts of forward hooks on T3's attention layers. The
last line of stdout is the JSON report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch

from studio_tools.bounded_generation import bound_tokens

TEXT = "Hello there, this is a test."
SAMPLES = {  # language -> text, for the multilingual tokenizer
    "en": "Hello there.",
    "de": "Grüße aus Köln.",
    "fr": "Été à Paris.",
}


def load(model: str, folder: Path) -> Any:
    if model == "turbo":
        from chatterbox.tts_turbo import ChatterboxTurboTTS

        return ChatterboxTurboTTS.from_local(folder, "cpu")
    if model == "multilingual":
        from chatterbox.mtl_tts import ChatterboxMultilingualTTS

        return ChatterboxMultilingualTTS.from_local(folder, "cpu")
    from chatterbox.tts import ChatterboxTTS

    return ChatterboxTTS.from_local(folder, "cpu")


def attention_hooks(t3: Any) -> int:
    """Forward hooks on the Llama attention layers (0 for Turbo's GPT-2, which has none)."""
    return sum(len(layer.self_attn._forward_hooks) for layer in getattr(t3.tfmr, "layers", []))


def tokenizer_report(model: str, tts: Any) -> dict:
    if model == "turbo":
        tokenizer = tts.tokenizer
        return {
            "length": len(tokenizer),
            "added": tokenizer.get_added_vocab(),
            "ids": tokenizer("[laugh] Hello there [clear throat] ok.").input_ids,
        }
    if model == "multilingual":
        tokenizer = tts.tokenizer
        encoded = {lang: tokenizer.encode(text, language_id=lang) for lang, text in SAMPLES.items()}
        vocab = tokenizer.tokenizer.get_vocab()
        return {
            "encoded": encoded,
            "decoded": {lang: tokenizer.decode(ids) for lang, ids in encoded.items()},
            "language_ids": {lang: vocab[f"[{lang}]"] for lang in SAMPLES},
            "unk": vocab["[UNK]"],
            "size": tokenizer.tokenizer.get_vocab_size(),
        }
    return {"size": tts.tokenizer.tokenizer.get_vocab_size()}


def main() -> None:
    model, folder, tokens = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    tts = load(model, folder)
    kwargs = {"language_id": "en"} if model == "multilingual" else {}
    hooks = [attention_hooks(tts.t3)]
    bound = bound_tokens(tts, tokens)
    samples, steps = [], []
    for seed in (0, 1):
        torch.manual_seed(seed)
        wav = tts.generate(TEXT, **kwargs)
        samples.append(wav.shape[-1])
        steps.append(bound.steps)
        hooks.append(attention_hooks(tts.t3))
    report = {
        "sr": tts.sr,
        "samples": samples,
        "steps": steps,
        "attention_hooks": hooks,
        "tokenizer": tokenizer_report(model, tts),
    }
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
