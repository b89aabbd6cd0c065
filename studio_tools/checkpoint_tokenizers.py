"""The text side of the random-weight checkpoints: each model's tokenizer files, built offline.

- Original: a character-level `tokenizer.json` within T3's 704 text ids ([START] 255, [STOP] 0).
- Turbo: GPT-2 style byte-level BPE files (vocab.json, merges.txt, added_tokens.json,
  tokenizer_config.json, special_tokens_map.json) that `AutoTokenizer.from_pretrained(folder)`
  reads: 50256 trained BPE tokens, <|endoftext|> at 50256, then TAGS, 50276 ids in all (T3's
  text embedding size). The BPE is trained with `tokenizers` on a seeded made-up corpus.
- Multilingual: a character-level `tokenizers` JSON of 2454 ids (T3Config.multilingual()) with
  the 23 `[xx]` language tokens, the `[cj_*]` Cangjie tokens and the scripts the 23 languages
  write in (after MTLTokenizer's lowercasing and NFKD), plus a small `Cangjie5_TC.json`.
The tag names are the real tokenizer's; everything else here is ours, not the real
checkpoints': only the formats and the sizes match.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

TEXT_VOCAB = 704  # T3Config.english_only().text_tokens_dict_size
MTL_TEXT_VOCAB = 2454  # T3Config.multilingual().text_tokens_dict_size
TURBO_TEXT_VOCAB = 50276  # ChatterboxTurboTTS.from_local's T3Config(text_tokens_dict_size=...)
SPECIAL = ("[STOP]", "[UNK]", "[SPACE]", "[PAD]", "[SEP]", "[CLS]", "[MASK]")
START_ID = 255  # T3's start_text_token; [STOP] is 0 = stop_text_token
END_OF_TEXT = "<|endoftext|>"  # GPT-2's, id 50256
# The 19 tokens the real Turbo tokenizer adds after GPT-2's 50257 (50257 + 19 = 50276): nine
# sound events and ten delivery styles, as Turbo's published tag lists and its tokenizer's added
# tokens name them. Their order (so their ids) is ours.
TAGS = (
    *("[clear throat]", "[sigh]", "[shush]", "[cough]", "[groan]", "[sniff]", "[gasp]"),
    *("[chuckle]", "[laugh]"),
    *("[angry]", "[fear]", "[surprised]", "[whispering]", "[advertisement]", "[dramatic]"),
    *("[narration]", "[crying]", "[happy]", "[sarcastic]"),
)
LANGUAGE_CODES = (
    *("ar", "da", "de", "el", "en", "es", "fi", "fr", "he", "hi", "it", "ja"),
    *("ko", "ms", "nl", "no", "pl", "pt", "ru", "sv", "sw", "tr", "zh"),
)
# Cangjie codes (from memory, for the test sentences only). 日 and 曰 share "a", so 曰 is "a1".
CANGJIE = {
    "你": "onf", "好": "vnd", "世": "pt", "界": "woll", "我": "hqi", "是": "amyo", "中": "l",
    "國": "wirm", "人": "o", "今": "oini", "天": "mk", "很": "hoav", "文": "yk", "說": "yrcru",
    "日": "a", "曰": "a", "本": "dm", "語": "yrmmr",
}  # fmt: skip
ENGLISH = (
    "the quick brown fox jumps over the lazy dog and then it said hello there how are you "
    "today this is a test of the studio speaking one line at a time with some numbers like "
    "twelve thirty and words such as chapter scene voice narration laugh sigh whisper"
)


def original_tokenizer_json() -> dict:
    """A character-level `tokenizers` JSON: specials, then printable ASCII, within 704 ids."""
    vocab = {name: i for i, name in enumerate(SPECIAL)}
    for char in string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(char, len(vocab))
    vocab["[START]"] = START_ID
    assert max(vocab.values()) < TEXT_VOCAB
    return _char_level_json(vocab, (*SPECIAL, "[START]"))


def multilingual_tokenizer_json() -> dict:
    """MTLTokenizer's grapheme JSON: 2454 ids, [START] 255, [STOP] 0, `[xx]` and `[cj_*]`."""
    languages = tuple(f"[{code}]" for code in LANGUAGE_CODES)
    cangjie = tuple(f"[cj_{c}]" for c in string.ascii_lowercase + string.digits + ".")
    tokens = [*SPECIAL, *languages, *cangjie]
    seen = set(tokens)
    for char in _multilingual_characters():
        if char not in seen:
            seen.add(char)
            tokens.append(char)
    tokens.insert(START_ID, "[START]")
    tokens = tokens[:MTL_TEXT_VOCAB]  # the tail of the CJK block fills up to the size
    assert len(tokens) == MTL_TEXT_VOCAB and tokens[START_ID] == "[START]"
    vocab = {token: i for i, token in enumerate(tokens)}
    return _char_level_json(vocab, (*SPECIAL, "[START]", *languages, *cangjie))


def cangjie_table() -> list[str]:
    """`Cangjie5_TC.json`: a JSON list of "glyph<TAB>code" lines, as ChineseCangjieConverter
    parses it (`entry.split("\\t")[:2]`; glyphs sharing a code are told apart by order)."""
    return [f"{glyph}\t{code}" for glyph, code in CANGJIE.items()]


def write_turbo_tokenizer(folder: Path, seed: int = 0) -> None:
    """The five GPT-2 tokenizer files `AutoTokenizer.from_pretrained(folder)` loads offline."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=TURBO_TEXT_VOCAB - 1 - len(TAGS),  # 50256: GPT-2's BPE part
        min_frequency=1,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(_made_up_corpus(seed), trainer)
    vocab = bpe.get_vocab()
    assert len(vocab) == TURBO_TEXT_VOCAB - 1 - len(TAGS), len(vocab)
    vocab[END_OF_TEXT] = len(vocab)
    added = {tag: len(vocab) + i for i, tag in enumerate(TAGS)}
    merges = bpe.model.save(str(folder))  # vocab.json and merges.txt; vocab.json is rewritten
    assert sorted(Path(p).name for p in merges) == ["merges.txt", "vocab.json"]
    _write_json(folder / "vocab.json", dict(sorted(vocab.items(), key=lambda kv: kv[1])))
    _write_json(folder / "added_tokens.json", added)
    decoder = {str(vocab[END_OF_TEXT]): _added_token(END_OF_TEXT, special=True)}
    decoder.update({str(i): _added_token(tag, special=False) for tag, i in added.items()})
    special = {"bos_token": END_OF_TEXT, "eos_token": END_OF_TEXT, "unk_token": END_OF_TEXT}
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1024,
        **special,
    }
    _write_json(folder / "tokenizer_config.json", config)
    _write_json(folder / "special_tokens_map.json", special)


def _made_up_corpus(seed: int):
    """English-like text: the ENGLISH words often (so they become whole tokens), then seeded
    made-up words, enough distinct ones for 50k merges. Deterministic for a seed."""
    rng = random.Random(seed)
    onset = [*"bcdfghjklmnprstvwyz", "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl"]
    onset += ["gr", "pl", "pr", "sh", "sk", "sl", "sm", "sn", "sp", "st", "str", "th", "tr", "wh"]
    vowel = [*"aeiou", "ai", "ea", "ee", "oo", "ou", "ie", "oa"]
    coda = ["", "", "n", "r", "s", "t", "l", "ck", "nd", "ng", "st", "rt", "m", "x"]
    for _ in range(200):
        yield ENGLISH.capitalize() + ". " + ENGLISH.upper() + "! 0123456789, (yes?) 'no'"
    for _ in range(120):
        words = (
            "".join(rng.choice(onset) + rng.choice(vowel) for _ in range(rng.choice((1, 2, 3))))
            + rng.choice(coda)
            for _ in range(1000)
        )
        yield " ".join(words)


def _multilingual_characters():
    """What the 23 languages' text holds after lowercase + NFKD (and Korean Jamo, Japanese
    kana), in a fixed order: ASCII, Latin extras, combining marks, Greek, Cyrillic, Hebrew,
    Arabic, Devanagari, Hangul Jamo, CJK punctuation, kana, then CJK ideographs to fill."""
    yield from string.ascii_lowercase + string.digits + string.punctuation
    yield from "ßæøœđłıðþ¡¿«»€£"
    blocks = (
        (0x0300, 0x036F),  # combining diacritics (NFKD splits é, ü, ñ, å into base + mark)
        (0x03B1, 0x03C9),  # Greek lowercase (with ς below)
        (0x0430, 0x045F),  # Cyrillic lowercase
        (0x0591, 0x05F4),  # Hebrew letters and points
        (0x060C, 0x066C),  # Arabic letters, harakat, digits
        (0x0900, 0x097F),  # Devanagari
        (0x1100, 0x11FF),  # Hangul Jamo (MTLTokenizer decomposes syllables)
        (0x3000, 0x303F),  # CJK punctuation
        (0x3041, 0x30FF),  # hiragana, katakana and the voicing marks NFKD splits off
    )
    yield "ς"
    for first, last in blocks:
        yield from (chr(c) for c in range(first, last + 1))
    yield from CANGJIE  # before the filler, so the test glyphs are in even past the limit
    yield from (chr(c) for c in range(0x4E00, 0x9FFF + 1))


def _char_level_json(vocab: dict[str, int], added: tuple[str, ...]) -> dict:
    """A `tokenizers` JSON that splits text into characters, with `added` matched whole."""
    added_tokens = [{"id": vocab[name], **_added_token(name, special=True)} for name in added]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Split",
            "pattern": {"String": ""},
            "behavior": "Isolated",
            "invert": False,
        },
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }


def _added_token(content: str, special: bool) -> dict:
    return {
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": special,
    }


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
