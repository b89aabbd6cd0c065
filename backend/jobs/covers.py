"""A job's cover image: the book's own (an EPUB's or FB2's image, a PDF's first page drawn), or an
uploaded PNG or JPEG, checked by decoding it whole with Pillow; kept in the job's folder (so it
goes with the job) and named on the job's row; and the narrator's name that the audiobook tags
carry beside it."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from PIL import Image

from backend.core.errors import AppError, CoverUnreadable, UnknownVoiceId, UploadTooLarge
from backend.jobs import files
from backend.jobs.files import write_bytes
from backend.jobs.pdf import PdfLimits, cover_image
from backend.jobs.store import JobStore
from backend.voices.resolve import BUILTIN
from backend.voices.store import VoiceStore

log = logging.getLogger(__name__)

FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg")}
MAX_PIXELS = 50_000_000  # far above any cover (3000 x 3000 is 9 million); decoding stays small
UPLOADED = "cover-upload"  # the user's cover; a document's own cover has another name
BOOK_COVER_SECONDS = 10.0  # the most a book's cover may take to draw: it is a nicety
TOO_LARGE_SOLUTION = (
    "Scale the image down (1400-3000 pixels square suits audiobook players) or save it as a "
    "JPEG; or raise CHATTERBOX_MAX_COVER_MB and restart the server."
)


def save_book_cover(store: JobStore, job: dict[str, Any], seconds: float) -> None:
    """cover.<ext> beside a document job's source, for the audiobook downloads: the book's own
    image, or a PDF's first page drawn, in at most `seconds`. Called once its scenes are spoken,
    before the narration is assembled, so drawing a page never holds up a scene. A job that
    has a cover (an upload) keeps it; without one, or when drawing fails, the narration goes on.
    """
    if job["source_kind"] != "pdf" or job.get("cover_path") or not job.get("source_path"):
        return
    source = Path(job["source_path"])
    try:
        limits = PdfLimits(first_page_timeout=seconds)
        found = cover_image(source.read_bytes(), job.get("source_format") or "pdf", limits)
        if found is None:
            return
        image, suffix = found
        path = source.parent / f"cover.{suffix}"
        files.write_bytes(path, image)
        if not files.remove_if_orphan(path.parent, lambda: store.exists(job["id"])):
            store.set_book(job["id"], cover_path=path)
    except Exception as exc:  # whatever stopped it, the narration goes on
        reason = exc.message if isinstance(exc, AppError) else str(exc) or type(exc).__name__
        log.warning("No cover for job %s: %s", job["id"], reason)


def check_cover(data: bytes, max_bytes: int) -> str:
    """The extension ("png" or "jpg") of a cover upload that decodes whole as PNG or JPEG;
    UploadTooLarge over `max_bytes` (or too many pixels to decode safely), else CoverUnreadable."""
    if len(data) > max_bytes:
        raise UploadTooLarge(
            f"The cover is {len(data) / 1048576:.1f} MB; the limit is "
            f"{max_bytes / 1048576:.1f} MB.",
            TOO_LARGE_SOLUTION,
        )
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            kind = image.format
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            image.load()  # decodes every pixel: a truncated or forged file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadTooLarge(
            "The cover has too many pixels to decode safely.", TOO_LARGE_SOLUTION
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow's ways of saying "not an image"
        raise CoverUnreadable() from exc
    if kind not in FORMATS:
        raise CoverUnreadable(f"The file is a {kind} image, not a PNG or JPEG.")
    return FORMATS[kind][0]


def save_cover(folder: Path, data: bytes, extension: str) -> Path:
    """The checked upload as the job's uploaded cover (atomically), replacing an earlier one."""
    path = folder / f"{UPLOADED}.{extension}"
    write_bytes(path, data)
    for _, (other, _) in FORMATS.items():
        if other != extension:
            (folder / f"{UPLOADED}.{other}").unlink(missing_ok=True)
    return path


def media_type(path: Path) -> str:
    """The cover file's media type, from its first bytes (a document's cover may be any image)."""
    with Image.open(path) as image:
        return Image.MIME.get(image.format or "", "application/octet-stream")


def narrator_of(job: dict[str, Any], voices: VoiceStore) -> str:
    """The name of the voice that narrates `job`: a library voice's name, an engine's named
    voice as it is called, else the built-in voice (with the model that speaks it)."""
    voice = job.get("voice")
    if voice and voice != BUILTIN:
        try:
            return str(voices.get(voice)["name"])
        except UnknownVoiceId:
            return voice  # an engine's own voice (Piper), or a library voice deleted since
    model = job.get("model")
    return f"Built-in voice ({model})" if model else "Built-in voice"
