"""A stand-in spacy_pkuseg model, so ChatterboxMultilingualTTS loads without a network.

    python -m studio_tools.pkuseg_home [DIR]      # prints the folder; use it as PKUSEG_HOME

In chatterbox-tts 0.1.7 every `MTLTokenizer` (so every `ChatterboxMultilingualTTS.from_local`)
builds a Chinese word segmenter, `spacy_pkuseg.pkuseg()`, whose default model
(`spacy_ontonotes`) is downloaded from GitHub into `$PKUSEG_HOME` (default `~/.pkuseg`) on first
use; offline that raises requests' ConnectionError out of `from_local`. This trains a tiny
segmenter with spacy_pkuseg's own trainer on a few Chinese sentences and lays it out as the
download would (`spacy_ontonotes/` and the `spacy_ontonotes.zip` whose presence skips the
download). It segments only the test sentences sensibly. The variable must be set before
spacy_pkuseg is first imported (it reads PKUSEG_HOME at import).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from backend.core import models

MODEL_NAME = models.PKUSEG_MODEL  # what pkuseg() loads by default
SENTENCES = (
    "你好 世界 。",
    "我 是 中國 人 。",
    "今天 天 很 好 。",
    "我 說 中文 。",
    "日本 語 。",
)
FILES = ("features.msgpack", "weights.npz")


def default_home() -> Path:
    """Beside the test checkpoints (no package version: it is spacy_pkuseg's format)."""
    return Path.home() / ".cache" / "chatterbox-studio" / "test-checkpoints" / "pkuseg-home"


def is_complete(home: Path) -> bool:
    return models.segmenter_present(home)  # the same test as the server's


def ensure(home: Path | None = None, seed: int = 0) -> Path:
    """Train into `home` (default: default_home()) unless a finished one is there."""
    home = Path(home) if home else default_home()
    if is_complete(home):
        return home
    staging = home.with_name(home.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    _train(staging / MODEL_NAME, seed)
    with zipfile.ZipFile(staging / f"{MODEL_NAME}.zip", "w") as archive:
        for name in FILES:
            info = zipfile.ZipInfo(f"{MODEL_NAME}/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, (staging / MODEL_NAME / name).read_bytes())
    shutil.rmtree(home, ignore_errors=True)
    staging.rename(home)
    return home


def _train(model_dir: Path, seed: int) -> None:
    import numpy as np
    import spacy_pkuseg

    random.seed(seed)  # the trainer shuffles with `random`
    np.random.seed(seed)
    model_dir.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "train.txt"
        corpus.write_text("\n".join(SENTENCES * 3) + "\n", encoding="utf-8")
        with contextlib.redirect_stdout(sys.stderr):  # it prints its progress
            spacy_pkuseg.train(str(corpus), str(corpus), str(model_dir), train_iter=5)
    assert sorted(p.name for p in model_dir.iterdir()) == list(FILES)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(ensure(Path(args[0]) if args else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
