"""Loading TXT, Markdown and PDF files: pages, ids, and a one-line error for each kind of bad input."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from bot.cli import main as cli_main
from ingest.errors import InputError
from ingest.readers import load_document, slug
from ingest.settings import BUNDLED_REPORT
from ingest.textpages import derive_page_numbers

TITLE = "Analyse af offentlige toplederes innovationsdagsorden"


def _pdf_bytes(pages: list[str | None]) -> bytes:
    """A real PDF: one page per item, with that text drawn (None: a page with only a drawing, no text)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for text in pages:
        if text is None:
            c.rect(100, 100, 300, 300, fill=1)
        else:
            for k, line in enumerate(text.split("\n")):
                c.drawString(72, 760 - 14 * k, line)
        c.showPage()
    c.save()
    return buf.getvalue()


def _page_of(raw, needle: str) -> int | None:
    hits = [p.number for p in raw.pages if needle in p.text]
    assert hits, needle
    return hits[0]


# -- the bundled report (TXT): page numbers derived from its surviving footers ---------------------------

def test_bundled_report_pages_are_derived_from_footers() -> None:
    raw = load_document(BUNDLED_REPORT)
    assert raw.kind == "txt"
    assert raw.doc_id == "toplederes-innovationsdagsorden-2020"
    # the pages join back to the file byte for byte (quotes are checked against this text)
    assert "\n".join(p.text for p in raw.pages) == BUNDLED_REPORT.read_text(encoding="utf-8")
    # each footer starts its own page and names it
    for n in (24, 28, 40):
        assert _page_of(raw, f"{n} {TITLE}") == n
    # the text's own cross-references land where it says: "afsnittet på side 33" (digital transformation),
    # "på side 39" (the green transition), "beskrives på side 36" (the shared digital hotline)
    assert _page_of(raw, "Digitalisering og teknologi") == 33
    assert _page_of(raw, "Samtidigt kommer den grønne omstilling") == 39
    assert _page_of(raw, "fortæller en af toplederne om et nyt samarbej") == 36
    # "se oversigt på side 8-9": the map of interviewees and the list of names
    assert _page_of(raw, "Jammerbugt") == 8
    assert _page_of(raw, "Følgende topledere er blevet interviewet") == 9
    assert _page_of(raw, "Bag om analysen") == 7
    numbers = [p.number for p in raw.pages]
    assert numbers == list(range(4, 44))  # every page from the first marker (4) to the last (43), in order


def test_text_pages_stay_unknown_when_footers_disagree() -> None:
    lines = [" page one text", f"24 {TITLE}", "more", " next page", "and more", f"26 {TITLE}", "x"]
    assert [n for _, n in derive_page_numbers(lines)] == [23, 24, 25, 26]  # 24, one page start, 26: consistent
    lines[3] = "next page"  # no page start left between the footers 24 and 26
    assert derive_page_numbers(lines) is None


def test_text_without_footers_has_no_page_numbers(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text(" Første side\nTekst her.\n\n\n\nAnden side.\n", encoding="utf-8")
    raw = load_document(f)
    assert [p.number for p in raw.pages] == [None]
    assert raw.doc_id == "notes"


def test_markdown_never_gets_page_numbers(tmp_path: Path) -> None:
    f = tmp_path / "rapport.md"
    body = f" Side\n24 {TITLE}\n tekst\n\n\n\n25 {TITLE}\n"
    f.write_text(body, encoding="utf-8")
    raw = load_document(f)
    assert raw.kind == "md" and [p.number for p in raw.pages] == [None] and raw.pages[0].text == body


def test_doc_id_is_stable_across_content_changes(tmp_path: Path) -> None:
    f = tmp_path / "Min Rapport – Æbler og Øl.txt"
    f.write_text("første udgave", encoding="utf-8")
    first = load_document(f).doc_id
    f.write_text("anden udgave, helt anden tekst", encoding="utf-8")
    assert load_document(f).doc_id == first == "min-rapport-aebler-og-oel"
    assert slug("Søges: Radikale løsninger") == "soeges-radikale-loesninger"


def test_utf8_with_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    f = tmp_path / "bom.txt"
    f.write_bytes("\ufeffLinje et\r\nLinje to\r\n".encode("utf-8"))
    assert load_document(f).pages[0].text == "Linje et\nLinje to\n"


# -- PDF ----------------------------------------------------------------------------------------------

def test_pdf_pages_numbered_by_index(tmp_path: Path) -> None:
    f = tmp_path / "report.pdf"
    f.write_bytes(_pdf_bytes(["Forside", "Side to om innovation", "Tredje side"]))
    raw = load_document(f)
    assert raw.kind == "pdf"
    assert [p.number for p in raw.pages] == [1, 2, 3]
    assert "Side to om innovation" in raw.pages[1].text


def test_pdf_page_labels_give_the_printed_numbers(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_bytes(["Titel", "Indhold", "Kapitel 1", "Kapitel 2"]))))
    writer.set_page_label(0, 1, style="/r")          # i, ii: front matter
    writer.set_page_label(2, 3, style="/D", start=5)  # the body starts at printed page 5
    f = tmp_path / "labelled.pdf"
    with open(f, "wb") as out:
        writer.write(out)
    assert [p.number for p in load_document(f).pages] == [None, None, 5, 6]


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    f = tmp_path / "scan.pdf"
    f.write_bytes(_pdf_bytes([None, None]))
    with pytest.raises(InputError, match="no text layer"):
        load_document(f)


def test_corrupt_pdf(tmp_path: Path) -> None:
    data = _pdf_bytes(["Noget tekst"] * 3)
    f = tmp_path / "broken.pdf"
    f.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="not a readable PDF"):
        load_document(f)
    f.write_bytes(b"this is not a PDF at all")
    with pytest.raises(InputError, match="not a readable PDF"):
        load_document(f)


# -- bad input: one line, exit code 2 -----------------------------------------------------------------

@pytest.mark.parametrize("name, content, message", [
    ("latin1.txt", "Værdien af innovation".encode("latin-1"), "is not UTF-8 (tried utf-8, utf-8-sig"),
    ("empty.txt", b"", "the file is empty"),
    ("blank.md", b"  \n\n \t\n", "the file is empty"),
    ("empty.pdf", b"", "the file is empty"),
    ("report.docx", b"PK\x03\x04", "unsupported file type '.docx'"),
    ("binary.txt", b"abc\x00def", "binary"),
])
def test_bad_input_message(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_document(f)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_document(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        load_document(tmp_path)


def test_cli_reports_bad_input_on_one_line_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes("Æblerne er røde".encode("latin-1"))
    assert cli_main(["clean", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not UTF-8 (tried utf-8, utf-8-sig" in err and "Traceback" not in err
    assert cli_main(["clean", str(tmp_path / "missing.pdf")]) == 2
