"""Tests for backend/jobs/pdf.py and pdf_layout.py: what the narrator will read from a PDF.

Real PDFs from the shared corpus, and PDFs generated here with PyMuPDF for each layout case.
Every extraction runs in a real child process.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pymupdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.core.errors import (
    DocumentEncrypted,
    DocumentNoText,
    DocumentTooLarge,
    DocumentUnreadable,
    InvalidRequest,
)
from backend.jobs.pdf import (
    Page,
    PdfLimits,
    extract_pages,
    open_info,
    parse_page_range,
    render_region,
)

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "pdfs"
LOREM = (
    "Narration turns a written page into speech that a listener can follow without looking. "
    "Each sentence here is plain prose, long enough to wrap over several lines of a text box. "
)


@pytest.fixture(autouse=True)
def _no_leftover_generators() -> Iterator[None]:
    """A test that fails while holding a generator must not leave its child to the next test."""
    yield
    gc.collect()  # closes unreachable generators, which stops their children
    for child in extraction_children():  # held by a failed test's traceback
        child.kill()
        child.join()


def corpus(name: str) -> bytes:
    path = CORPUS / name
    assert path.exists(), f"the shared PDF corpus must be beside the repository, at {CORPUS}"
    return path.read_bytes()


def make_pdf(*pages: Callable[[pymupdf.Page], None], toc: list | None = None) -> bytes:
    """A PDF with one A4 page per function, each drawing on its page."""
    doc = pymupdf.open()
    for draw in pages:
        draw(doc.new_page(width=595, height=842))
    if toc:
        doc.set_toc(toc)
    return doc.tobytes()


def textbox(text: str, rect: tuple[float, float, float, float] = (72, 200, 523, 760), **kw):
    def draw(page: pymupdf.Page) -> None:
        assert page.insert_textbox(pymupdf.Rect(rect), text, fontsize=11, **kw) >= 0

    return draw


def read(data: bytes, **kwargs) -> list[Page]:
    return list(extract_pages(data, **kwargs))


def page_text(page: Page) -> str:
    return " ".join(block.text for block in page.blocks)


def all_text(pages: list[Page]) -> str:
    return " ".join(page_text(page) for page in pages)


def extraction_children() -> list[multiprocessing.process.BaseProcess]:
    return [child for child in multiprocessing.active_children() if child.name == "pdf-extract"]


@pytest.fixture(scope="module")
def huge_pdf() -> bytes:
    """3000 pages, each with one line of text in the middle."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 400), "Hello world, this page has a little text.")
    for _ in range(2999):
        doc.fullcopy_page(0)
    return doc.tobytes()


# --- page ranges -------------------------------------------------------------------------


def test_page_ranges_are_one_based_ascending_and_deduplicated() -> None:
    assert parse_page_range("9-,1-3,5,2", 10) == [1, 2, 3, 5, 9, 10]
    assert parse_page_range(" 4 - 5 , -2 ", 10) == [1, 2, 4, 5]
    assert parse_page_range("3\u20135", 10) == [3, 4, 5]


def test_no_page_range_means_every_page() -> None:
    assert parse_page_range(None, 3) == [1, 2, 3]
    assert parse_page_range("  ", 3) == [1, 2, 3]


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("abc", "'abc' is neither a page number nor a range"),
        ("1-2-3", "'1-2-3' is neither"),
        ("1 2", "'1 2' is neither"),
        ("0", "outside the document"),
        ("5-12", "'5-12' is outside the document"),
        ("7-3", "'7-3' runs backwards"),
        (",", "selects no pages"),
    ],
)
def test_a_bad_page_range_names_the_problem_and_the_page_count(spec: str, problem: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_page_range(spec, 10)
    assert problem in caught.value.message
    assert "The document has 10 pages." in caught.value.message


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.sets(st.integers(1, n)))))
def test_any_list_of_pages_round_trips_through_a_range_spec(case: tuple[int, set[int]]) -> None:
    page_count, chosen = case
    spec = ",".join(str(number) for number in sorted(chosen, reverse=True))
    expected = sorted(chosen) if chosen else list(range(1, page_count + 1))
    assert parse_page_range(spec, page_count) == expected


# --- opening: errors and info ------------------------------------------------------------


def test_open_info_gives_page_count_and_outline_without_reading_text() -> None:
    info = open_info(corpus("pdflatex-outline.pdf"))
    assert info["page_count"] == 4
    assert info["encrypted"] is False
    assert info["outline"][:3] == [(1, "Foo", 2), (1, "Bar", 2), (1, "Baz", 2)]
    assert len(info["outline"]) == 9


def test_an_encrypted_pdf_without_its_password_says_none_was_given() -> None:
    data = corpus("libreoffice-writer-password.pdf")
    with pytest.raises(DocumentEncrypted, match="none was given"):
        open_info(data)
    with pytest.raises(DocumentEncrypted, match="none was given"):
        read(data)


def test_an_encrypted_pdf_with_a_wrong_password_says_the_password_is_wrong() -> None:
    data = corpus("libreoffice-writer-password.pdf")
    with pytest.raises(DocumentEncrypted, match="password given is not correct"):
        open_info(data, "wrong")
    with pytest.raises(DocumentEncrypted, match="password given is not correct"):
        read(data, password="wrong")


def test_an_encrypted_pdf_with_its_password_gives_its_text() -> None:
    data = corpus("libreoffice-writer-password.pdf")
    assert open_info(data, "openpassword")["encrypted"] is True
    [page] = read(data, password="openpassword")
    assert page_text(page).startswith("Lorem ipsum dolor sit amet")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (os.urandom(4096), "could not be read as a PDF"),
        (b"%PDF-1.7\n%%EOF", "could not be read as a PDF"),
    ],
    ids=["empty", "random bytes", "header only"],
)
def test_what_is_not_a_pdf_is_unreadable(data: bytes, message: str) -> None:
    with pytest.raises(DocumentUnreadable, match=message):
        open_info(data)
    with pytest.raises(DocumentUnreadable, match=message):
        read(data)


def test_a_pdf_that_opens_with_zero_pages_is_unreadable() -> None:
    data = corpus("unreadablemetadata.pdf")
    with pytest.raises(DocumentUnreadable, match="no pages"):
        open_info(data)
    with pytest.raises(DocumentUnreadable, match="no pages"):
        read(data)


def test_a_pdf_of_images_only_has_no_text() -> None:
    with pytest.raises(DocumentNoText):
        read(corpus("imagemagick-images.pdf"))


def test_a_generated_pdf_of_blank_pages_has_no_text() -> None:
    with pytest.raises(DocumentNoText):
        read(make_pdf(*[lambda page: None] * 3))


def test_errors_from_the_child_keep_their_message_and_solution() -> None:
    with pytest.raises(InvalidRequest, match="The document has 4 pages") as caught:
        read(corpus("pdflatex-4-pages.pdf"), pages="2-x")
    assert caught.value.solution.startswith("Write pages like 1-3,5,9-")
    with pytest.raises(DocumentEncrypted) as caught:
        read(corpus("libreoffice-writer-password.pdf"), password="wrong")
    assert caught.value.solution.startswith("Check the PDF's password")


# --- extraction quality: the corpus ------------------------------------------------------


def test_multicolumn_pdf_reads_the_left_column_before_the_right_one() -> None:
    pages = read(corpus("multicolumn.pdf"))
    assert [page.number for page in pages] == [1, 2, 3]
    first = page_text(pages[0])
    assert first.startswith("Two-Column Document with Lorem Ipsum Your Name January 3, 2024")
    # The left column ends mid-sentence and the right column finishes it.
    assert "Vivamus viverra fermentum felis. Donec nonummy pellentesque ante." in first
    left_last = first.index("Nulla malesuada porttitor diam.")
    assert left_last < first.index("pellentesque ante") < first.index("Fusce mauris.")


def test_multicolumn_pdf_joins_hyphenated_words_and_drops_page_numbers() -> None:
    pages = read(corpus("multicolumn.pdf"))
    text = all_text(pages)
    assert "consectetuer adipiscing elit." in text
    assert "sollicitudin vel" in text
    assert "adip-" not in text
    assert all(not block.text.isdigit() for page in pages for block in page.blocks)


def test_ligatures_become_plain_letters() -> None:
    crazy = all_text(read(corpus("crazyones-pdfa.pdf")))
    assert "The misfits." in crazy
    assert "see things differently" in crazy
    geo = all_text(read(corpus("GeoTopo-komprimiert.pdf"), pages="1-12"))
    assert "0. Auflage, 31. Dezember 2016" in geo
    assert not any(ligature in geo for ligature in "\ufb00\ufb01\ufb02\ufb03\ufb04")


def test_a_real_book_loses_its_running_heads_and_page_numbers_but_keeps_headings() -> None:
    pages = {page.number: page for page in read(corpus("GeoTopo-komprimiert.pdf"), pages="6-14")}
    # Page 11 (printed page 8) has the head "8 1.2. METRISCHE RÄUME" above "Beispiel 10".
    assert pages[11].blocks[0].text.startswith("Beispiel 10")
    assert "METRISCHE" not in all_text(list(pages.values()))
    # The real section headings are larger than the body, so they stay.
    assert [block.text for block in pages[6].blocks[:2]] == [
        "1 Topologische Grundbegriffe",
        "1.1 Topologische Räume",
    ]


def test_a_real_book_drops_superscript_footnote_markers() -> None:
    [page] = read(corpus("GeoTopo-komprimiert.pdf"), pages="12")
    texts = [block.text for block in page.blocks]
    assert "Beispiel 11 (SNCF-Metrik)" in texts
    assert "Diese Metrik wird auch „französische Eisenbahnmetrik“ genannt." in texts


def test_a_real_book_gives_chapters_from_its_outline() -> None:
    pages = read(corpus("GeoTopo-komprimiert.pdf"), pages="5-13")
    chapters = {page.number: page.chapter for page in pages if page.chapter}
    assert chapters == {
        6: "1 Topologische Grundbegriffe",  # the level-1 entry wins over "1.1 ..." on page 6
        10: "1.2 Metrische Räume",
        13: "1.3 Stetigkeit",
    }


def test_outline_entries_name_the_page_they_start_on() -> None:
    pages = read(corpus("pdflatex-outline.pdf"))
    assert [page.chapter for page in pages] == [None, "Foo", "Bar", "Bar"]
    assert page_text(pages[1]).startswith("1 Foo Hello, here is some text without a meaning.")


def test_footer_page_numbers_are_dropped_from_a_latex_document() -> None:
    pages = read(corpus("pdflatex-4-pages.pdf"))
    assert [len(page.blocks) for page in pages] == [1, 1, 1, 1]
    assert page_text(pages[0]).startswith("Hello, here is some text without a meaning.")
    assert not page_text(pages[3]).rstrip().endswith("4")


def test_arabic_text_is_extracted() -> None:
    [page] = read(corpus("habibi.pdf"))
    assert "habibi" in page_text(page)
    assert "حَبيبي" in page_text(page)


def test_blocks_carry_their_place_on_the_page() -> None:
    [page] = read(corpus("minimal-document.pdf"))
    [block] = page.blocks
    x0, y0, x1, y1 = block.bbox
    assert 0 <= x0 < x1 <= 595.3
    assert 0 <= y0 < y1 <= 841.9


# --- extraction quality: generated layouts -----------------------------------------------


def test_a_text_box_reads_as_one_clean_paragraph() -> None:
    [page] = read(make_pdf(textbox(LOREM * 3)))
    assert page_text(page) == " ".join((LOREM * 3).split())


CLOSING = "A closing paragraph under both columns runs across the width of the page."


def test_a_generated_two_column_page_reads_title_then_left_then_right_column() -> None:
    first = "The left column begins the story. " * 8
    second = "A second paragraph in the left column. " * 8 + "It carries on into the"
    right = "right column, which ends it. " * 12

    def draw(page: pymupdf.Page) -> None:
        textbox("A Title Across Both Columns", (72, 60, 523, 90), align=1)(page)
        textbox(first, (72, 100, 290, 230))(page)
        # Starts lower than the left column's first paragraph and higher than its second, so
        # plain top-to-bottom order would read it in between them.
        textbox(right, (305, 110, 523, 700))(page)
        textbox(second, (72, 240, 290, 700))(page)
        textbox(CLOSING, (72, 710, 523, 740))(page)

    [page] = read(make_pdf(draw))
    texts = [block.text for block in page.blocks]
    assert texts[0] == "A Title Across Both Columns"
    assert texts[1].startswith("The left column begins the story.")
    assert texts[2].startswith("A second paragraph in the left column.")
    assert texts[3].startswith("right column, which ends it.")
    assert texts[4:] == [CLOSING]
    assert "It carries on into the right column, which ends it." in page_text(page)


def test_a_single_column_page_keeps_top_to_bottom_order() -> None:
    def draw(page: pymupdf.Page) -> None:
        page.insert_text((72, 100), "Heading on the left", fontsize=14)
        page.insert_text((400, 130), "A date on the right", fontsize=11)
        textbox(LOREM * 2, (72, 150, 523, 400))(page)

    [page] = read(make_pdf(draw))
    assert [block.text[:19] for block in page.blocks] == [
        "Heading on the left",
        "A date on the right",
        "Narration turns a w",
    ]


def test_running_heads_and_feet_repeated_on_most_pages_are_dropped() -> None:
    def draw(number: int) -> Callable[[pymupdf.Page], None]:
        def page_(page: pymupdf.Page) -> None:
            page.insert_text((72, 40), "Annual Report 2024 | Chapter Notes", fontsize=9)
            textbox(f"Body text of page {number}. " + LOREM)(page)
            page.insert_text((72, 815), f"Page {number} of 5", fontsize=9)
            page.insert_text((480, 815), "Confidential", fontsize=9)

        return page_

    pages = read(make_pdf(*[draw(n) for n in range(1, 6)]))
    for number, page in enumerate(pages, start=1):
        assert page_text(page).startswith(f"Body text of page {number}. Narration")
        assert "Annual Report" not in page_text(page)
        assert "Confidential" not in page_text(page)
        assert "of 5" not in page_text(page)


def test_a_paragraph_whose_first_line_repeats_on_every_page_is_kept_whole() -> None:
    def draw(number: int) -> Callable[[pymupdf.Page], None]:
        return textbox(f"Page {number} begins here. " + LOREM, (72, 72, 540, 400))

    pages = read(make_pdf(*[draw(n) for n in range(1, 5)]))
    for number, page in enumerate(pages, start=1):
        assert page_text(page) == " ".join(f"Page {number} begins here. {LOREM}".split())


@pytest.mark.parametrize("number", ["7", "- 7 -", "Page 7", "7 / 120", "xiv"])
def test_a_bare_page_number_at_the_foot_is_dropped_even_on_one_page(number: str) -> None:
    def draw(page: pymupdf.Page) -> None:
        textbox(LOREM)(page)
        page.insert_text((290, 815), number, fontsize=9)

    [page] = read(make_pdf(draw))
    assert page_text(page) == " ".join(LOREM.split())


def test_a_line_repeated_on_only_two_pages_is_kept() -> None:
    def draw(page: pymupdf.Page) -> None:
        page.insert_text((72, 40), "Annual Report 2024", fontsize=9)
        textbox(LOREM)(page)

    pages = read(make_pdf(draw, draw))
    assert all(page_text(page).startswith("Annual Report 2024") for page in pages)


def test_a_hyphen_at_a_line_end_joins_the_word_but_real_hyphens_stay() -> None:
    def draw(page: pymupdf.Page) -> None:
        for row, line in enumerate(
            ["The narra-", "tion was well-known, said Jean-", "Paul, and so it ended."]
        ):
            page.insert_text((72, 100 + 14 * row), line, fontsize=11)

    [page] = read(make_pdf(draw))
    assert page_text(page) == "The narration was well-known, said Jean-Paul, and so it ended."


def test_superscript_footnote_markers_are_not_read_but_ordinary_numbers_are() -> None:
    def draw(page: pymupdf.Page) -> None:
        # (text, font size, baseline): markers are small and raised, right after a word.
        x = 72.0
        for text, size, baseline in [
            ("A claim with a source", 11, 300),
            ("1", 7, 295),
            (" and 2 cats; another", 11, 300),
            ("*", 7, 295),
            (" ends here.", 11, 300),
        ]:
            page.insert_text((x, baseline), text, fontsize=size)
            x += pymupdf.get_text_length(text, fontsize=size)

    [page] = read(make_pdf(draw))
    assert page_text(page) == "A claim with a source and 2 cats; another ends here."


def test_ligature_glyphs_are_read_as_plain_letters() -> None:
    def draw(page: pymupdf.Page) -> None:
        # The HTML box shapes text with the font's fi, fl and ffi ligatures.
        page.insert_htmlbox(
            pymupdf.Rect(72, 200, 523, 400), "<p>The first flight of the office.</p>"
        )
        assert "\ufb01" in page.get_text(flags=pymupdf.TEXT_PRESERVE_LIGATURES)

    [page] = read(make_pdf(draw))
    assert page_text(page) == "The first flight of the office."


def test_an_outline_set_with_set_toc_gives_chapters_preferring_top_levels() -> None:
    data = make_pdf(
        *[textbox(f"Text of page {n}.") for n in range(1, 5)],
        toc=[
            [1, "Part One", 1],
            [2, "Opening", 2],
            [3, "A Detail", 3],
            [1, "Part Two", 3],
            [2, "Closing", 3],
        ],
    )
    pages = read(data)
    assert [page.chapter for page in pages] == ["Part One", "Opening", "Part Two", None]
    assert open_info(data)["outline"][3] == (1, "Part Two", 3)


def test_an_empty_page_is_yielded_with_no_blocks() -> None:
    pages = read(make_pdf(textbox("First."), lambda page: None, textbox("Third.")))
    assert [(page.number, len(page.blocks)) for page in pages] == [(1, 1), (2, 0), (3, 1)]


def test_only_the_selected_pages_are_yielded() -> None:
    data = make_pdf(*[textbox(f"Text of page {n}.") for n in range(1, 6)])
    pages = read(data, pages="4,2")
    assert [(page.number, page_text(page)) for page in pages] == [
        (2, "Text of page 2."),
        (4, "Text of page 4."),
    ]


# --- limits, time and the child process ---------------------------------------------------


def test_too_many_pages_is_too_large_but_a_page_range_within_the_limit_works(
    huge_pdf: bytes,
) -> None:
    with pytest.raises(DocumentTooLarge) as caught:
        read(huge_pdf, limits=PdfLimits(max_pages=2000))
    assert "3000 pages" in caught.value.message
    assert "limit is 2000 pages" in caught.value.message
    pages = read(huge_pdf, pages="1-10", limits=PdfLimits(max_pages=2000))
    assert [page.number for page in pages] == list(range(1, 11))
    assert page_text(pages[9]) == "Hello world, this page has a little text."


def test_too_much_text_is_too_large_before_the_first_page() -> None:
    data = make_pdf(*[textbox(LOREM * 3)] * 3)
    received: list[Page] = []
    with pytest.raises(DocumentTooLarge, match=r"more than 800 characters .* page 2 of 3"):
        for page in extract_pages(data, limits=PdfLimits(max_chars=800)):
            received.append(page)
    assert received == []
    assert len(read(data, pages="1", limits=PdfLimits(max_chars=800))) == 1


def test_when_counting_runs_out_of_time_the_page_by_page_limit_still_holds() -> None:
    data = make_pdf(*[textbox(LOREM * 3)] * 3)
    received: list[Page] = []
    with pytest.raises(DocumentTooLarge, match="more than 800 characters"):
        limits = PdfLimits(max_chars=800, count_seconds=0)  # counts page 1, then gives up
        for page in extract_pages(data, limits=limits):
            received.append(page)
    assert [page.number for page in received] == [1]


def test_page_one_of_a_hundred_pages_arrives_well_under_two_seconds() -> None:
    def draw(number: int) -> Callable[[pymupdf.Page], None]:
        def page_(page: pymupdf.Page) -> None:
            page.insert_text((72, 40), "A Running Head", fontsize=9)
            textbox(f"Page {number} says: " + LOREM * 6, (72, 80, 523, 780))(page)
            page.insert_text((290, 815), str(number), fontsize=9)

        return page_

    data = make_pdf(*[draw(n) for n in range(1, 101)])
    started = time.perf_counter()
    with contextlib.closing(extract_pages(data)) as pages:
        first = next(pages)
        latency = time.perf_counter() - started
        assert page_text(first).startswith("Page 1 says: Narration")
        assert latency < 2.0, f"page 1 took {latency:.2f} s"
        assert len(list(pages)) == 99
    print(f"first page of 100 after {latency:.3f} s")


def test_an_extraction_over_its_time_limit_is_stopped_as_unreadable(huge_pdf: bytes) -> None:
    with pytest.raises(DocumentUnreadable, match=r"the PDF took longer than 0\.05 seconds"):
        read(huge_pdf, limits=PdfLimits(timeout_seconds=0.05, max_pages=5000))
    assert extraction_children() == []


def test_a_first_page_over_its_time_limit_is_stopped_as_unreadable(huge_pdf: bytes) -> None:
    limits = PdfLimits(first_page_timeout=0.001, max_pages=5000)
    with pytest.raises(DocumentUnreadable, match=r"first page of the PDF took longer than 0\.001"):
        read(huge_pdf, limits=limits)
    assert extraction_children() == []


def test_time_the_caller_spends_between_pages_does_not_count_against_the_limit() -> None:
    data = make_pdf(*[textbox(f"Page {n}. " + LOREM) for n in range(1, 4)])
    numbers = []
    for page in extract_pages(data, limits=PdfLimits(timeout_seconds=1.5)):
        numbers.append(page.number)
        time.sleep(0.8)  # 2.4 s in all, spent by the caller (say, on speech)
    assert numbers == [1, 2, 3]


def test_closing_the_generator_early_stops_the_child(huge_pdf: bytes) -> None:
    pages = extract_pages(huge_pdf, limits=PdfLimits(max_pages=5000))
    assert next(pages).number == 1
    [child] = extraction_children()
    assert child.is_alive()
    pages.close()
    assert extraction_children() == []


def test_a_child_that_dies_mid_document_is_reported_as_unreadable(huge_pdf: bytes) -> None:
    pages = extract_pages(huge_pdf, limits=PdfLimits(max_pages=5000))
    next(pages)
    [child] = extraction_children()
    os.kill(child.pid, signal.SIGKILL)
    with pytest.raises(DocumentUnreadable, match="stopped unexpectedly"):
        for _ in pages:
            pass
    assert extraction_children() == []


# --- previews -----------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_a_region_renders_as_a_png_of_that_region_with_a_margin() -> None:
    [page] = read(corpus("minimal-document.pdf"))
    x0, y0, x1, y1 = page.blocks[0].bbox
    width, height = png_size(
        render_region(corpus("minimal-document.pdf"), None, 1, (x0, y0, x1, y1))
    )
    assert abs(width - (x1 - x0 + 12) * 1.5) <= 2
    assert abs(height - (y1 - y0 + 12) * 1.5) <= 2


def test_no_region_renders_the_whole_page_clipped_regions_stay_on_the_page() -> None:
    data = corpus("minimal-document.pdf")
    width, height = png_size(render_region(data, None, 1, None, zoom=1.0))
    assert abs(width - 595.3) <= 1 and abs(height - 841.9) <= 1
    # The region plus its 6-point margin, cut at the page's top-left corner.
    width, height = png_size(render_region(data, None, 1, (-50, -50, 100, 100), zoom=1.0))
    assert abs(width - 106) <= 1 and abs(height - 106) <= 1


def test_a_render_over_the_pixel_budget_is_scaled_down() -> None:
    png = render_region(corpus("minimal-document.pdf"), None, 1, None, zoom=4.0, max_pixels=100_000)
    width, height = png_size(png)
    assert width * height <= 100_000
    assert width * height > 80_000


def test_rendering_an_encrypted_pdf_needs_its_password() -> None:
    data = corpus("libreoffice-writer-password.pdf")
    with pytest.raises(DocumentEncrypted):
        render_region(data, None, 1, None)
    assert png_size(render_region(data, "openpassword", 1, None, zoom=0.5))[0] > 0


def test_a_block_on_a_rotated_page_renders_with_its_text(tmp_path: Path) -> None:
    def draw(page: pymupdf.Page) -> None:
        page.insert_text((72, 100), "Text on a page turned sideways", fontsize=20)
        page.set_rotation(90)

    data = make_pdf(draw)
    [page] = read(data)
    [block] = page.blocks
    assert block.text == "Text on a page turned sideways"
    x0, y0, x1, y1 = block.bbox
    assert y1 - y0 > x1 - x0  # the line runs down the page as displayed (842 x 595)
    assert 0 <= x0 < x1 <= 842 and 0 <= y0 < y1 <= 595
    pixmap = pymupdf.Pixmap(render_region(data, None, 1, block.bbox, zoom=1.0))
    samples = pixmap.samples
    assert any(samples[i] < 128 for i in range(0, len(samples), pixmap.n))  # ink, not blank


@pytest.mark.parametrize(
    ("page_number", "bbox", "message"),
    [
        (2, None, "Page 2 is outside the document, which has 1 pages."),
        (1, (1000, 1000, 1100, 1100), "lies outside page 1"),
    ],
)
def test_a_region_off_the_document_is_an_invalid_request(
    page_number: int, bbox: tuple[float, float, float, float] | None, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        render_region(corpus("minimal-document.pdf"), None, page_number, bbox)
