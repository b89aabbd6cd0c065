"""The Chatterbox family: which models exist, the files each loads, where each lives on disk.

Standard library only (like backend.core.constants), so setup_env.py, cleanup.py and the doctor
read the same table as the server before anything is installed. The file lists are what each
model's `from_local` in chatterbox-tts 0.1.7 reads.

Layout of the model cache: one folder per model, `<model_cache_dir>/<key>/`. The original model
may also sit at the top of the cache (the layout of earlier versions and of a folder a user
filled by hand); `model_dir` finds it there.

The choice rule (`choose`), stated once for set-up and for `CHATTERBOX_MODEL=auto`:
- Turbo on CPU and on any card with 8 GiB or less: it costs a fraction of the original per token
  (no classifier-free guidance, a 2-step decoder) and it is the smaller checkpoint, so it is the
  one that speaks in real time on a 6 GB RTX 3050.
- Original on larger cards: it is the one with `exaggeration` and `cfg_weight` control, and such
  a card can afford its cost.
- Multilingual when the text is not English (the request's `language`), or when it is the only
  model installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backend.core.constants import CHATTERBOX_REPO, MODEL_FILES

# The 23 codes ChatterboxMultilingualTTS accepts as `language_id` (SUPPORTED_LANGUAGES in 0.1.7).
LANGUAGES = {
    "ar": "Arabic",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "sv": "Swedish",
    "sw": "Swahili",
    "tr": "Turkish",
    "zh": "Chinese",
}

SMALL_CARD_BYTES = 8 * 1024**3  # "a card with 8 GiB or less" in the choice rule
CANGJIE_FILE = "Cangjie5_TC.json"  # the Chinese converter's table, kept in the model's folder
# Multilingual's tokenizer builds spacy_pkuseg's Chinese word segmenter on every load (0.1.7), and
# spacy_pkuseg downloads its model into $PKUSEG_HOME when it is not there: offline, the load
# fails. Set-up fetches it into the model's folder; the engine host points PKUSEG_HOME at it.
PKUSEG_DIR = "pkuseg"
PKUSEG_MODEL = "spacy_ontonotes"  # the model pkuseg() loads by default


@dataclass(frozen=True)
class ChatterboxModel:
    """One member of the family.

    - `key`: what CHATTERBOX_MODEL, `setup_env.py --model` and a request's `model` say.
    - `model_id`: its real name, as /v1/models lists it and X-TTS-Model reports it.
    - `files`: what `from_local` reads, `conds.pt` (the built-in voice) included: every repo
      ships one, and it lets a fresh install speak before any voice is uploaded. A folder
      without one of them is not installed.
    - `optional`: read when present, or fetched with the model for offline use (the Cangjie
      table).
    - `min_reference_seconds`: a voice clip must be longer than this (0: any length).
    - `ignored_params`: synthesis knobs the model accepts and ignores.
    - `reads_tags`: its tokenizer knows paralinguistic tags such as [laugh].
    """

    key: str
    model_id: str
    title: str
    repo: str
    files: tuple[str, ...]
    optional: tuple[str, ...]
    approx_bytes: int
    languages: tuple[str, ...]
    min_reference_seconds: float = 0.0
    ignored_params: tuple[str, ...] = ()
    reads_tags: bool = False

    @property
    def all_files(self) -> tuple[str, ...]:
        return self.files + self.optional


ORIGINAL = ChatterboxModel(
    key="original",
    model_id="chatterbox",
    title="Chatterbox",
    repo=CHATTERBOX_REPO,
    files=MODEL_FILES,
    optional=(),
    approx_bytes=3_200_000_000,
    languages=("en",),
)
TURBO = ChatterboxModel(
    key="turbo",
    model_id="chatterbox-turbo",
    title="Chatterbox Turbo",
    repo="ResembleAI/chatterbox-turbo",
    # T3 on GPT-2 medium, the mean-flow S3Gen, and a GPT-2 tokenizer whose added tokens are the
    # paralinguistic tags.
    files=(
        "ve.safetensors",
        "t3_turbo_v1.safetensors",
        "s3gen_meanflow.safetensors",
        "vocab.json",
        "merges.txt",
        "added_tokens.json",
        "conds.pt",
    ),
    optional=("tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"),
    approx_bytes=2_800_000_000,
    languages=("en",),
    min_reference_seconds=5.0,
    ignored_params=("cfg_weight", "exaggeration"),
    reads_tags=True,
)
MULTILINGUAL = ChatterboxModel(
    key="multilingual",
    model_id="chatterbox-multilingual",
    title="Chatterbox Multilingual",
    repo=CHATTERBOX_REPO,
    files=(
        "ve.pt",
        "t3_mtl23ls_v2.safetensors",
        "s3gen.pt",
        "grapheme_mtl_merged_expanded_v1.json",
        "conds.pt",
    ),
    optional=(CANGJIE_FILE,),
    approx_bytes=3_300_000_000,
    languages=tuple(LANGUAGES),
)

MODELS: dict[str, ChatterboxModel] = {m.key: m for m in (ORIGINAL, TURBO, MULTILINGUAL)}


def find(name: str) -> ChatterboxModel | None:
    """The model a key or a real name (`turbo`, `chatterbox-turbo`) means, else None."""
    name = name.strip().lower()
    for model in MODELS.values():
        if name in (model.key, model.model_id):
            return model
    return None


def model_dir(cache_dir: Path, key: str) -> Path:
    """The folder `key`'s files live in: `<cache>/<key>/`, or the top of the cache for an
    original model installed there (earlier versions' layout: some of its files at the top and
    no `original/` folder)."""
    cache_dir = Path(cache_dir)
    folder = cache_dir / key
    legacy = any((cache_dir / name).is_file() for name in ORIGINAL.files)
    if key == ORIGINAL.key and not folder.is_dir() and legacy:
        return cache_dir
    return folder


def missing_files(cache_dir: Path, key: str) -> list[str]:
    """Names of `key`'s required files missing from its folder; [] when it is installed.
    Multilingual also needs its Chinese word segmenter (`pkuseg/spacy_ontonotes`)."""
    model = MODELS[key]
    folder = model_dir(cache_dir, key)
    missing = [name for name in model.files if not (folder / name).is_file()]
    if key == MULTILINGUAL.key and not segmenter_present(pkuseg_home(folder)):
        missing.append(f"{PKUSEG_DIR}/{PKUSEG_MODEL}")
    return missing


def pkuseg_home(folder: Path) -> Path:
    """Where Multilingual's word segmenter lives: `pkuseg/` in the model's folder, where set-up
    puts it (the engine host sets PKUSEG_HOME to it: the model and its segmenter move and are
    removed together)."""
    return Path(folder) / PKUSEG_DIR


def segmenter_present(home: Path) -> bool:
    """spacy_pkuseg's model is unpacked in `home`, beside the archive whose presence stops
    spacy_pkuseg from downloading it again."""
    home = Path(home)
    return (home / f"{PKUSEG_MODEL}.zip").is_file() and (home / PKUSEG_MODEL).is_dir()


def installed(cache_dir: Path) -> list[str]:
    """Keys of the models whose files are all present, in the table's order."""
    return [key for key in MODELS if not missing_files(cache_dir, key)]


def choose(
    available: Iterable[str], vram_total_bytes: int | None, language: str | None = None
) -> str | None:
    """The model the choice rule (module docstring) picks among `available` keys; None when
    none is available. `vram_total_bytes` None means no CUDA card."""
    available = [key for key in MODELS if key in set(available)]
    if not available:
        return None
    if language and language != "en":
        return MULTILINGUAL.key if MULTILINGUAL.key in available else None
    small = vram_total_bytes is None or vram_total_bytes <= SMALL_CARD_BYTES
    order = (TURBO, ORIGINAL, MULTILINGUAL) if small else (ORIGINAL, TURBO, MULTILINGUAL)
    return next(m.key for m in order if m.key in available)
