"""TEST FAKE: spacy_pkuseg.download.download_model, without a network: the archive and its
unpacked folder in `model_dir`, as the real download leaves them."""

from __future__ import annotations

import os
from pathlib import Path


def download_model(url: str, model_dir: str, hash_prefix: str, progress: bool = True) -> None:
    name = os.path.basename(url).split(".")[0]
    folder = Path(model_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.npz").write_bytes(b"w" * 64)
    (Path(model_dir) / f"{name}.zip").write_bytes(b"PK")
