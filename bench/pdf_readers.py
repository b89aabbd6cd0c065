"""What the PDF reader children cost: scene images of a real book drawn through the reader pool
(backend/jobs/pdf.py render_region, a spawned child under a deadline and a memory limit) against
MuPDF drawing the same regions in this process (the engine alone). Prints ratios measured in
this one run.

Usage: python bench/pdf_readers.py [--pdf PATH] [--scenes 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.jobs import pdf_child  # noqa: E402
from backend.jobs.pdf import extract_pages, open_info, render_region  # noqa: E402
from backend.jobs.pdf_pool import POOL  # noqa: E402

BOOK = ROOT.parent / "shared" / "corpus" / "pdfs" / "GeoTopo-komprimiert.pdf"


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf", type=Path, default=BOOK)
    parser.add_argument("--scenes", type=int, default=30)
    args = parser.parse_args()
    data = args.pdf.read_bytes()
    pages = list(extract_pages(data, pages=None))
    regions = [(p.number, b.bbox) for p in pages for b in p.blocks[:1]][: args.scenes]

    first_info = timed(lambda: open_info(data))  # spawns a reader and opens the document
    warm_info = timed(lambda: open_info(data))
    pooled = [timed(lambda n=n, b=b: render_region(data, None, n, b)) for n, b in regions]
    with pdf_child.open_document(data, None) as doc:  # MuPDF alone, in this process
        alone = [
            timed(lambda n=n, b=b: pdf_child._render(doc, n, b, 1.5, 2_000_000)) for n, b in regions
        ]
    POOL.close()

    print(f"{len(regions)} scene images of {args.pdf.name}")
    print(f"  MuPDF in this process: median {statistics.median(alone) * 1000:.1f} ms")
    print(f"  through a reader child: median {statistics.median(pooled) * 1000:.1f} ms")
    per_image = statistics.median(pooled) / statistics.median(alone)
    print(f"  ratio child / in-process, median per image: {per_image:.2f}")
    print(f"  ratio child / in-process, whole job:        {sum(pooled) / sum(alone):.2f}")
    print(f"  first open (reader start + open) / warm open: {first_info / warm_info:.0f}x")
    print(f"  reader start as a share of the job's images:  {first_info / sum(pooled):.0%}")


if __name__ == "__main__":
    main()
