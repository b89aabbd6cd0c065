"""The real server on real Piper over loopback, with a second Piper voice, for contract tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from backend.core.settings import Settings
from backend.engines.fake import FakeEngine
from backend.engines.piper import PiperEngine
from backend.main import create_app
from frontend.api_client import ApiClient
from tests.helpers.audio import clip_bytes
from tests.helpers.live import serving
from tests.helpers.piper_voices import make_voice

SECOND_VOICE = "en_US-slow-medium"  # the bundled network under another name, in a voices folder


@contextlib.contextmanager
def piper_serving(root: Path, *, stale_voice: bool = False) -> Iterator[tuple[ApiClient, str]]:
    """Real Piper, CHATTERBOX_PIPER_VOICES_DIR holding SECOND_VOICE, serving data under `root`.

    With `stale_voice`, a library voice was made current first under a cloning engine on the
    same data (as before a fall-back from Chatterbox to Piper): the id yielded is that voice's.
    """
    make_voice(root / "piper", SECOND_VOICE, inference={"length_scale": 1.6})
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        model_cache_dir=root / "model_cache",
        quality_check="off",
        piper_voices_dir=root / "piper",
    )
    voice_id = ""
    if stale_voice:
        with serving(create_app(settings, FakeEngine(can_clone=True))) as url:
            cloning = ApiClient(url)
            voice_id = cloning.add_voice("me.wav", clip_bytes(5.0), "Me")["id"]
            cloning.select_voice(voice_id)
    with serving(create_app(settings, PiperEngine(settings))) as url:
        yield ApiClient(url), voice_id
