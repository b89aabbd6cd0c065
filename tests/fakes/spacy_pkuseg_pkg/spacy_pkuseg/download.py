"""TEST FAKE: spacy_pkuseg.download.download_model, without a network: the archive and its
unpacked folder in `model_dir`, as the real download leaves them (tests.scripts.setup_fakes)."""

from __future__ import annotations

from pathlib import Path

from tests.scripts.setup_fakes import write_segmenter


def download_model(url: str, model_dir: str, hash_prefix: str, progress: bool = True) -> None:
    write_segmenter(Path(model_dir))
