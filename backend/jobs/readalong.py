"""The read-along EPUB of a finished narration: EPUB 3 with Media Overlays, so a reading app
highlights each sentence while the narration (MP3 inside the book) plays.

One XHTML document per chapter (the narration's chapter markers; one chapter for a book without
them), each sentence a span with an id, paired by that chapter's SMIL file with its clip of the
audio (the same cues as the subtitles, backend.jobs.cues). The package carries title, author,
narrator, language, the cover where the job has one, a nav document, the overlays' durations
and the active class the reading app puts on the sentence being read.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
import zipfile
from html import escape
from pathlib import Path
from typing import Any

from backend.core import atomic
from backend.jobs.assembly import encode_mp3
from backend.jobs.cues import Cue, cues

ACTIVE_CLASS = "-epub-media-overlay-active"
AUDIO = "audio/narration.mp3"
COVER_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
"""
STYLE = f""".{ACTIVE_CLASS} {{ background-color: #ffe58a; color: #000; }}
body {{ font-family: serif; line-height: 1.5; margin: 5%; }}
"""


def build_epub(job: dict[str, Any], wav: Path, out: Path) -> None:
    """Write the read-along EPUB of `job` (a store row with its scenes) narrated in `wav` to
    `out`. Raises NotReady (backend.jobs.cues) for a narration without sentence times."""
    found = cues(job, "sentence")
    chapters = _chapters(job, found)
    audio = atomic.temp_beside(out.with_suffix(".mp3"))
    try:
        encode_mp3(wav, audio)
        _write(job, chapters, audio, out)
    finally:
        audio.unlink(missing_ok=True)


def _chapters(job: dict[str, Any], found: list[Cue]) -> list[tuple[str, list[Cue]]]:
    """(title, cues) per chapter: a chapter marker owns the scenes from its first one on."""
    firsts = {marker["scene"]: marker["title"] for marker in job.get("chapters") or []}
    chapters: list[tuple[str, list[Cue]]] = []
    for scene in job["scenes"]:
        if scene["idx"] in firsts or not chapters:
            chapters.append((firsts.get(scene["idx"], job["title"]), []))
        chapters[-1][1].extend(cue for cue in found if cue.scene == scene["idx"])
    return [(title, chapter) for title, chapter in chapters if chapter]


def _write(
    job: dict[str, Any], chapters: list[tuple[str, list[Cue]]], audio: Path, out: Path
) -> None:
    language = (job.get("params") or {}).get("language") or "en"
    cover = Path(job["cover_path"]) if job.get("cover_path") else None
    if cover is not None and (not cover.is_file() or cover.suffix.lower() not in COVER_TYPES):
        cover = None
    durations = [sum(cue.end - cue.start for cue in chapter) for _, chapter in chapters]
    with zipfile.ZipFile(out, "w") as book:
        # The mimetype comes first and uncompressed, so a reader can sniff it at a fixed offset.
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", zipfile.ZIP_STORED)
        deflate = zipfile.ZIP_DEFLATED
        book.writestr("META-INF/container.xml", CONTAINER, deflate)
        book.writestr("OEBPS/style.css", STYLE, deflate)
        book.writestr("OEBPS/nav.xhtml", _nav(job["title"], chapters, language), deflate)
        for number, (title, chapter) in enumerate(chapters, start=1):
            name = f"chapter-{number:03d}"
            book.writestr(f"OEBPS/{name}.xhtml", _chapter(title, chapter, language), deflate)
            book.writestr(f"OEBPS/{name}.smil", _overlay(name, chapter), deflate)
        book.write(audio, f"OEBPS/{AUDIO}", zipfile.ZIP_STORED)  # MP3 does not deflate
        if cover is not None:
            book.write(cover, f"OEBPS/cover{cover.suffix.lower()}", zipfile.ZIP_STORED)
        book.writestr("OEBPS/content.opf", _package(job, chapters, durations, cover), deflate)


def _package(
    job: dict[str, Any],
    chapters: list[tuple[str, list[Cue]]],
    durations: list[float],
    cover: Path | None,
) -> str:
    language = (job.get("params") or {}).get("language") or "en"
    modified = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = [
        f'<dc:identifier id="uid">urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, job["id"])}'
        "</dc:identifier>",
        f"<dc:title>{escape(job['title'])}</dc:title>",
        f"<dc:language>{escape(language)}</dc:language>",
        f'<meta property="dcterms:modified">{modified}</meta>',
        f'<meta property="media:active-class">{ACTIVE_CLASS}</meta>',
        f'<meta property="media:duration">{_clock(sum(durations))}</meta>',
    ]
    if job.get("author"):
        meta.append(f"<dc:creator>{escape(job['author'])}</dc:creator>")
    if job.get("voice"):
        meta.append(f'<meta property="media:narrator">{escape(job["voice"])}</meta>')
    manifest = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="style" href="style.css" media-type="text/css"/>',
        f'<item id="audio" href="{AUDIO}" media-type="audio/mpeg"/>',
    ]
    spine = []
    for number, seconds in enumerate(durations, start=1):
        name = f"chapter-{number:03d}"
        meta.append(
            f'<meta property="media:duration" refines="#mo-{number}">{_clock(seconds)}</meta>'
        )
        manifest.append(
            f'<item id="c-{number}" href="{name}.xhtml" media-type="application/xhtml+xml" '
            f'media-overlay="mo-{number}"/>'
        )
        manifest.append(
            f'<item id="mo-{number}" href="{name}.smil" media-type="application/smil+xml"/>'
        )
        spine.append(f'<itemref idref="c-{number}"/>')
    if cover is not None:
        kind = COVER_TYPES[cover.suffix.lower()]
        manifest.append(
            f'<item id="cover" href="cover{cover.suffix.lower()}" media-type="{kind}" '
            'properties="cover-image"/>'
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="{escape(language)}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    {_lines(meta, 4)}
  </metadata>
  <manifest>
    {_lines(manifest, 4)}
  </manifest>
  <spine>
    {_lines(spine, 4)}
  </spine>
</package>
"""  # noqa: E501


def _chapter(title: str, chapter: list[Cue], language: str) -> str:
    paragraphs = []
    for _, sentences in itertools.groupby(chapter, key=lambda cue: cue.scene):
        spans = " ".join(
            f'<span id="{cue.key}">{escape(cue.text, quote=False)}</span>' for cue in sentences
        )
        paragraphs.append(f"<p>{spans}</p>")
    return _xhtml(title, language, f"<h1>{escape(title)}</h1>\n    " + _lines(paragraphs, 4))


def _overlay(name: str, chapter: list[Cue]) -> str:
    pars = [
        f'<par id="p-{cue.key}"><text src="{name}.xhtml#{cue.key}"/>'
        f'<audio src="{AUDIO}" clipBegin="{cue.start:.3f}s" clipEnd="{cue.end:.3f}s"/></par>'
        for cue in chapter
        if cue.end > cue.start  # a sentence that took no time (a lone tag) has no clip
    ]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<smil xmlns="http://www.w3.org/ns/SMIL" xmlns:epub="http://www.idpf.org/2007/ops" version="3.0">
  <body>
    <seq id="seq-{name}" epub:textref="{name}.xhtml" epub:type="bodymatter chapter">
      {_lines(pars, 6)}
    </seq>
  </body>
</smil>
"""


def _nav(title: str, chapters: list[tuple[str, list[Cue]]], language: str) -> str:
    items = [
        f'<li><a href="chapter-{number:03d}.xhtml">{escape(name)}</a></li>'
        for number, (name, _) in enumerate(chapters, start=1)
    ]
    body = (
        f'<nav epub:type="toc" id="toc">\n      <h1>{escape(title)}</h1>\n      <ol>\n        '
        + _lines(items, 8)
        + "\n      </ol>\n    </nav>"
    )
    return _xhtml(title, language, body)


def _xhtml(title: str, language: str, body: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" xml:lang="{escape(language)}" lang="{escape(language)}">
  <head>
    <meta charset="utf-8"/>
    <title>{escape(title)}</title>
    <link rel="stylesheet" type="text/css" href="style.css"/>
  </head>
  <body>
    {body}
  </body>
</html>
"""  # noqa: E501


def _lines(items: list[str], indent: int) -> str:
    return ("\n" + " " * indent).join(items)


def _clock(seconds: float) -> str:
    """A SMIL full clock value, H:MM:SS.mmm."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
