"""How numbers and texts read on the page: sizes, durations, times left, snippets."""

from __future__ import annotations

import math
from datetime import datetime


def size(n_bytes: float | None) -> str:
    if n_bytes is None:
        return "n/a"
    for unit in ("B", "KB", "MB", "GB"):
        if round(abs(n_bytes), 0 if unit == "B" else 1) < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} GB"


def duration(seconds: float | None) -> str:
    """1:05 for a minute and five seconds, 1:02:03 past an hour."""
    if seconds is None or math.isnan(seconds):
        return "–"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def time_left(seconds: float) -> str:
    """A rounded, honest estimate: 'under a minute', 'about 4 min', 'about 1 h 20 min'."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"


def ago(seconds: float) -> str:
    """How long since something happened, as a glance reads it: '12 s ago', 'about 4 min ago'.
    A moment in the future (another machine's clock ahead of this one's) reads '0 s ago'."""
    seconds = max(0.0, seconds)
    return f"{int(seconds)} s ago" if seconds < 60 else f"{time_left(seconds)} ago"


def parse_time(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


def when(stamp: str | None) -> str:
    moment = parse_time(stamp)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "–"


def snippet(text: str, limit: int = 120) -> str:
    """The text on one line, cut at `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """Text shown as itself in Markdown (a chapter called "*Intro*" keeps its asterisks)."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]()#+-.!|<>~$" else c for c in text)
