"""TEST FAKE of `chatterbox.mtl_tts` (0.1.7 signatures): the fake ChatterboxTTS with the
Multilingual files, a required `language_id` checked against the 23 codes, a tokenizer with
the Chinese converter whose table upstream fetches from the hub (here: left empty), and 0.1.7's
short-text crash: an IndexError when the text gives 3 tokens or fewer (5 with start and stop)."""

from __future__ import annotations

from .tts import ChatterboxTTS, Conditionals, T3Cond

__all__ = [
    "SUPPORTED_LANGUAGES",
    "ChatterboxMultilingualTTS",
    "Conditionals",
    "T3Cond",
    "punc_norm",
]

SUPPORTED_LANGUAGES = {
    code: code
    for code in [
        "ar",
        "da",
        "de",
        "el",
        "en",
        "es",
        "fi",
        "fr",
        "he",
        "hi",
        "it",
        "ja",
        "ko",
        "ms",
        "nl",
        "no",
        "pl",
        "pt",
        "ru",
        "sv",
        "sw",
        "tr",
        "zh",
    ]
}


class _Cangjie:
    def __init__(self):
        self.word2cj: dict[str, str] = {}
        self.cj2word: dict[str, list[str]] = {}


def punc_norm(text: str) -> str:
    """Upstream's clean-up, in the part that matters here: a full stop where no ending is."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "-", ",")) else text + "."


class _Tokenizer:
    """Graphemes, as upstream's: one token per character, the language tag one more."""

    def __init__(self):
        self.cangjie_converter = _Cangjie()

    def encode(self, txt: str, language_id: str | None = None) -> list[int]:
        return ([0] if language_id else []) + [ord(c) for c in txt.lower()]


class ChatterboxMultilingualTTS(ChatterboxTTS):
    required_files = (
        "ve.pt",
        "t3_mtl23ls_v2.safetensors",
        "s3gen.pt",
        "grapheme_mtl_merged_expanded_v1.json",
    )

    def __init__(self, device, conds=None):
        super().__init__(device, conds)
        self.tokenizer = _Tokenizer()
        self.languages_spoken: list[str] = []

    def generate(self, text, language_id, exaggeration=0.5, cfg_weight=0.5, temperature=0.8):
        if language_id and language_id.lower() not in SUPPORTED_LANGUAGES:
            raise ValueError(f"Unsupported language_id '{language_id}'.")
        if len(self.tokenizer.encode(punc_norm(text), language_id)) + 2 <= 5:
            raise IndexError("max(): Expected reduction dim 1 to have non-zero size.")
        self.languages_spoken.append(language_id)
        # As upstream's AlignmentStreamAnalyzer: a hook registered on every call, never removed.
        self.t3.emotion_adv_fc.register_forward_hook(lambda *args: None)
        # Upstream's English-model crash at cfg_weight 0 does not exist here: 0 is valid.
        wav = super().generate(
            text,
            exaggeration=exaggeration,
            cfg_weight=max(cfg_weight, 1e-6),
            temperature=temperature,
        )
        self.last_generate_kwargs["cfg_weight"] = cfg_weight
        self.last_generate_kwargs["language_id"] = language_id
        return wav
