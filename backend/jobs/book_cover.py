"""A book's own cover image (runs in the reader child): an EPUB's (its package's cover-image
item, or the EPUB 2 <meta name="cover">) and an FB2's (<coverpage>, a base64 <binary>)."""

from __future__ import annotations

import base64
import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree

MAX_COVER_BYTES = 20 * 1024 * 1024
_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
_OPF = "{http://www.idpf.org/2007/opf}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


def embedded_cover(data: bytes, fmt: str) -> tuple[bytes, str] | None:
    """(image bytes, file suffix such as "jpg") of the book's cover; None when it has none or
    it cannot be read (a cover is a nicety: the narration does not need it)."""
    try:
        if fmt == "epub":
            return _epub_cover(data)
        if fmt == "fb2":
            return _fb2_cover(data)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, ElementTree.ParseError):
        return None
    return None


def _epub_cover(data: bytes) -> tuple[bytes, str] | None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
        rootfile = container.find(f".//{_CONTAINER}rootfile")
        if rootfile is None:
            return None
        opf_path = rootfile.get("full-path", "")
        package = ElementTree.fromstring(archive.read(opf_path))
        items = list(package.iter(f"{_OPF}item"))
        item = next(
            (i for i in items if "cover-image" in (i.get("properties") or "").split()), None
        )
        if item is None:
            cover_id = next(
                (m.get("content") for m in package.iter(f"{_OPF}meta") if m.get("name") == "cover"),
                None,
            )
            item = next((i for i in items if cover_id and i.get("id") == cover_id), None)
        if item is None:
            return None
        media_type = item.get("media-type", "")
        suffix = _TYPES.get(media_type)
        if suffix is None:
            return None
        path = posixpath.normpath(posixpath.join(posixpath.dirname(opf_path), item.get("href", "")))
        if archive.getinfo(path).file_size > MAX_COVER_BYTES:
            return None
        return archive.read(path), suffix


def _fb2_cover(data: bytes) -> tuple[bytes, str] | None:
    found = re.search(rb"<coverpage>.*?href\s*=\s*[\"']#([^\"']+)", data[:1_000_000], re.S)
    if not found:
        return None
    name = re.escape(found.group(1))
    binary = re.search(
        rb"<binary[^>]*id\s*=\s*[\"']" + name + rb"[\"'][^>]*>(.*?)</binary>", data, re.S
    )
    if not binary:
        return None
    content_type = re.search(rb"content-type\s*=\s*[\"']([^\"']+)", binary.group(0)[:300])
    suffix = _TYPES.get(content_type.group(1).decode() if content_type else "image/jpeg")
    image = base64.b64decode(binary.group(1), validate=False)
    if suffix is None or len(image) > MAX_COVER_BYTES:
        return None
    return image, suffix
