"""Page ranges like "1-3,5,9-": which pages of a document a job reads."""

from __future__ import annotations

import re

from backend.core.errors import InvalidRequest


def parse_page_range(spec: str | None, page_count: int) -> list[int]:
    """Pages selected by "1-3,5,9-" (1-based, ascending, no duplicates); None or "" is all."""
    if spec is None or not spec.strip():
        return list(range(1, page_count + 1))
    where = f"The document has {page_count} page{'s' if page_count != 1 else ''}."
    chosen: set[int] = set()
    for raw in re.sub("[\u2013\u2014]", "-", spec).split(","):
        part = raw.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d*)\s*(-?)\s*(\d*)", part)
        if not match or not (match[1] or match[3]) or (match[1] and match[3] and not match[2]):
            raise InvalidRequest(
                f"The page range {spec!r} is not valid: {part!r} is neither a page number nor "
                f"a range like 3-7. {where}",
                solution="Write pages like 1-3,5,9- (9- means page 9 to the end).",
            )
        first = int(match[1]) if match[1] else 1
        last = int(match[3]) if match[3] else (page_count if match[2] else first)
        if first > last:
            raise InvalidRequest(f"The page range {part!r} runs backwards. {where}")
        if first < 1 or last > page_count:
            raise InvalidRequest(
                f"The page range {part!r} is outside the document (pages are numbered from 1). "
                f"{where}"
            )
        chosen.update(range(first, last + 1))
    if not chosen:
        raise InvalidRequest(f"The page range {spec!r} selects no pages. {where}")
    return sorted(chosen)
