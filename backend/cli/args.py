"""`narrate`'s arguments, and the plan they make: each book with its output file and format."""

from __future__ import annotations

import argparse
import glob
from dataclasses import dataclass
from pathlib import Path

from backend.cli.errors import NarrateError, file_not_found

DEFAULT_FORMAT = "m4b"
KNOWN_FORMATS = ("m4b", "mp3", "wav", "epub")  # what the server makes; it has the last word
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class Book:
    """One input file, where its narration goes and in which download format."""

    source: Path
    out: Path
    fmt: str


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m backend narrate",
        description="Narrate books (PDF, EPUB, text, ...) into audiobooks through the narration "
        "server: the one running, or one started for this run. Run it again on the same files "
        "to resume their jobs.",
    )
    p.add_argument("files", nargs="+", type=Path, help="the books; several are queued together")
    p.add_argument("--voice", help="a voice of the library (its name or id); default: built-in")
    p.add_argument(
        "--out",
        type=Path,
        help="the output file (one book), or a folder for several; default: beside each book",
    )
    p.add_argument(
        "--format",
        dest="fmt",
        help=f"{', '.join(KNOWN_FORMATS)}; default: the suffix of --out, else {DEFAULT_FORMAT}",
    )
    p.add_argument("--pages", help='PDF pages to read, e.g. "1-10,12"')
    p.add_argument("--model", help="the Chatterbox model: original, turbo, multilingual, ...")
    p.add_argument("--language", help="the book's language, e.g. en or fr; default: detected")
    p.add_argument("--title", help="the audiobook's title (one book only)")
    p.add_argument(
        "--server",
        help="the server's address (default: CHATTERBOX_URL, else the configured host and port)",
    )
    p.add_argument(
        "--new",
        action="store_true",
        help="start new jobs even where the books already have one",
    )
    return p


def plan(args: argparse.Namespace) -> list[Book]:
    """The books to narrate, in order, each once; NarrateError before anything is sent when a
    file is missing or the outputs cannot be named."""
    sources = list(dict.fromkeys(_expand(args.files)))
    if args.title and len(sources) > 1:
        raise _usage("--title names one book, and this run has several.", "Leave --title out.")
    single = _names_one_file(args.out, len(sources))
    books = []
    for source in sources:
        if single:
            out = args.out
            fmt = args.fmt or out.suffix.lstrip(".").lower() or DEFAULT_FORMAT
        else:
            fmt = args.fmt or DEFAULT_FORMAT
            out = (args.out or source.parent) / f"{source.stem}.{fmt.lower()}"
        books.append(Book(source, out, fmt.lower()))
    if len({book.out.resolve() for book in books}) < len(books):
        raise _usage(
            "Two of the books would be written to the same output file (same name).",
            "Narrate them in separate runs, each with its own --out folder.",
        )
    return books


def _expand(files: list[Path]) -> list[Path]:
    """Each file, resolved; a pattern the shell left alone (Windows' cmd) is expanded here."""
    found = []
    for path in files:
        if not path.exists() and any(ch in str(path) for ch in GLOB_CHARS):
            matches = sorted(Path(name) for name in glob.glob(str(path)))
            if not matches:
                raise file_not_found(str(path))
            found.extend(match.resolve() for match in matches)
        elif not path.is_file():
            raise file_not_found(str(path))
        else:
            found.append(path.resolve())
    return found


def _names_one_file(out: Path | None, count: int) -> bool:
    """True when --out is the output file itself; False when it is a folder (or not given)."""
    if out is None or out.is_dir() or str(out).endswith(("/", "\\")):
        return False
    if count == 1:
        return True
    if out.suffix:
        raise _usage(
            f"--out {out} names a file, and this run has {count} books.",
            "Give --out a folder (it is made if missing), or leave it out to write each "
            "audiobook beside its book.",
        )
    return False


def _usage(message: str, solution: str) -> NarrateError:
    return NarrateError("invalid_arguments", message, solution, fatal=True)
