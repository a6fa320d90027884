"""Hostile input: malformed store URLs never reveal the password, bad file names and odd files skip only
themselves (named, with the reason), per-file size limits, and config mistakes that name the key."""

from __future__ import annotations

import io
import os
import traceback
import zipfile

import pytest
import yaml
from conftest import new_project, write_file

from ragtune import ConfigError, Project, RagtuneError, ingest, init_project, load_config
from ragtune.cli import main
from ragtune.config import read_config_file
from ragtune.index.kb import KnowledgeBase

DOCS = {
    "warranty.md": "# Warranty\n\nThe X200 logger is covered for 38 months.\n",
    "returns.md": "# Returns\n\nReturns must be requested within 45 days of delivery.\n",
}

# -- 1. a malformed store URL never shows its password ------------------------------------------------
A, B = "Zq9Kpx", "Wv4Lmy"  # the two halves of a distinctive password: neither may appear in any message
HOST = "127.0.0.1:1"  # nothing listens on port 1: a well-formed URL fails at once, without DNS
URLS = [
    f"postgresql://u:{A}{B}@{HOST}/db",  # well-formed, server unreachable
    f"postgresql://u:{A}@{B}@{HOST}/db",  # '@' in the password, not percent-encoded
    f"postgresql://u:{A}/{B}@{HOST}/db",  # '/' in the password, not percent-encoded
    f"postgresql://u:{A}%zz{B}@{HOST}/db",  # a bad percent escape
    f"postgresql://u:{A}%40{B}@{HOST}/db",  # a good one
    f"postgresql://u:{A} {B}@{HOST}/db",  # a space
    f"postgres//u:{A}{B}@{HOST}/db",  # the ':' of the scheme missing
    f"postgresql:/u:{A}{B}@{HOST}/db",  # a '/' missing
    f"mysql://u:{A}{B}@{HOST}/db",  # another scheme
    f"postgresql://u:{A}{B}@[::1/db",  # an unclosed IPv6 bracket
    f"postgresql://u:{A}{B}@127.0.0.1:port{B}/db",  # a port that is not a number
    f"postgresql://u:{A}{B}@{HOST}/db?sslmode=bogus",  # a bad option value
    f"postgresql://u:{A}{B}@{HOST}/db?nosuchoption=1",  # an unknown option
    f"postgresql://u@{HOST}/db?password={A}{B}",  # the password as a query parameter
    f"host=127.0.0.1 port=1 dbname=x password='{A} {B}'",  # keyword/value, quoted password
    f"host=127.0.0.1 port=1 dbname=x password={A}{B}",  # keyword/value, bare password
    f"host=127.0.0.1 port=1 dbname=x password='{A}{B}",  # keyword/value, unterminated quote
]


def assert_no_secret(text: str) -> None:
    assert A not in text and B not in text, text


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


@pytest.mark.parametrize("url", URLS)
def test_a_malformed_store_url_never_shows_its_password(make_project, url):
    pytest.importorskip("psycopg")
    config = yaml.safe_dump({"store": {"backend": "pgvector", "url": url, "pg_schema": "t_leak"}})
    root = make_project(DOCS, config)
    with pytest.raises(RagtuneError) as info:
        ingest(root)
    assert_no_secret(error_text(info.value))
    assert "store.url" in str(info.value)


@pytest.mark.parametrize("url", URLS)
def test_migrate_url_never_shows_its_password(make_project, capsys, url):
    pytest.importorskip("psycopg")
    root = make_project(DOCS)
    assert main(["migrate", str(root), "--to", "pgvector", "--url", url, "--pg-schema", "t_leak"]) == 2
    out = capsys.readouterr()
    assert_no_secret(out.out + out.err)
    assert "error:" in out.err


def test_an_unparsable_url_is_named_not_echoed(make_project):
    pytest.importorskip("psycopg")
    root = make_project(DOCS, yaml.safe_dump({"store": {"backend": "pgvector", "url": f"postgres//u:{A}@h/db"}}))
    with pytest.raises(ConfigError, match="the URL in store.url could not be parsed") as info:
        ingest(root)
    assert "postgres//" not in str(info.value)


def test_a_store_description_keeps_the_url_but_not_its_password():
    pytest.importorskip("psycopg")
    from ragtune.index.store.pgvector import redact

    assert redact(f"postgresql://u:{A}{B}@db.example:5433/kb") == "postgresql://u:***@db.example:5433/kb"
    assert_no_secret(redact(f"host=db.example port=5433 dbname=kb user=u password='{A} {B}'"))
    assert_no_secret(redact(f"postgresql://u:{A}@{B}@h/db"))


# -- 2. a bad file name or an odd file skips only itself --------------------------------------------------
def test_a_file_name_that_is_not_utf8_is_skipped_by_name_and_the_rest_ingested(make_project):
    root = make_project(DOCS)
    documents = os.fsencode(root / "documents")
    for name in (b"bad\xff.md", b"dir\xfe/inner.md"):
        path = os.path.join(documents, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(b"# Bad\n\nThis file has a name that is not UTF-8.\n")
    report = ingest(root)
    assert sorted(report.added) == sorted(DOCS)
    skipped = dict(report.skipped)
    assert set(skipped) == {"bad\\xff.md", "dir\\xfe/inner.md"}
    assert all("not valid UTF-8" in reason for reason in skipped.values())
    assert "\n".join(report.lines()).encode("utf-8")  # the summary prints


def test_an_unexpected_error_in_one_file_skips_that_file_with_the_error(make_project, monkeypatch):
    from ragtune.corpus import parsers

    root = make_project({**DOCS, "notes.txt": "Notes\n\nThe depot opens at 7:00.\n"})
    first = ingest(root)
    write_file(root / "documents" / "notes.txt", "Notes\n\nThe depot opens at 6:30.\n")
    original = parsers.PARSERS[".txt"]

    def broken(data: bytes, source: str):
        if source == "notes.txt":
            raise RuntimeError("parser bug")
        return original(data, source)

    monkeypatch.setitem(parsers.PARSERS, ".txt", broken)
    write_file(root / "documents" / "fleet.md", "# Fleet\n\nVans are serviced every 20,000 km.\n")
    report = ingest(root)
    assert report.added == ["fleet.md"] and report.version == first.version + 1
    reason = dict(report.skipped)["notes.txt"]
    assert "RuntimeError: parser bug" in reason and "previous version kept" in reason
    kept = KnowledgeBase(Project.load(root)).manifest().documents["notes.txt"]
    assert kept == KnowledgeBase(Project.load(root)).manifest(first.version).documents["notes.txt"]


def test_symlinks_in_documents_are_skipped_by_name(make_project, tmp_path):
    root = make_project(DOCS)
    outside = write_file(tmp_path / "outside" / "secret.md", "# Secret\n\nThe vault code is 4711.\n")
    (root / "documents" / "link.md").symlink_to(outside)
    (root / "documents" / "linked").symlink_to(outside.parent, target_is_directory=True)
    report = ingest(root)
    skipped = dict(report.skipped)
    assert set(skipped) == {"link.md", "linked"}
    assert all("symbolic link" in reason for reason in skipped.values())
    assert any("skipped link.md: " in line for line in report.lines())
    assert sorted(report.added) == sorted(DOCS)


# -- 3. per-file limits -----------------------------------------------------------------------------------
def docx_bytes(paragraphs: list[str], padding: int = 0) -> bytes:
    """A real DOCX (python-docx) whose document.xml is padded with about ``padding`` bytes of blank paragraphs
    and spaces: small on disk however large the padding, since spaces compress about a thousandfold."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    plain = io.BytesIO()
    document.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename != "word/document.xml" or not padding:
                target.writestr(item, data)
                continue
            head, sep, tail = data.partition(b"<w:body>")
            with target.open(item.filename, "w", force_zip64=True) as member:
                member.write(head + sep)
                block = b"<w:p/>" + b" " * (1 << 20)  # blank paragraphs: text nodes stay under lxml's limit
                for _ in range(padding // len(block)):
                    member.write(block)
                member.write(tail)
    return out.getvalue()


def test_a_docx_zip_bomb_is_skipped_before_it_is_extracted(make_project):
    bomb = docx_bytes(["The bomb says nothing useful."], padding=160 << 20)  # 160 MiB of XML
    assert len(bomb) < 400_000
    root = make_project({**DOCS, "bomb.docx": bomb, "fine.docx": docx_bytes(["The depot opens at 7:00."])})
    report = ingest(root)
    reason = dict(report.skipped)["bomb.docx"]
    assert "ingest.max_expanded_bytes" in reason and "expands to" in reason
    assert sorted(report.added) == sorted([*DOCS, "fine.docx"])


def test_files_over_the_size_text_and_chunk_limits_are_skipped_with_the_limit_named(make_project):
    config = ("ingest:\n  max_file_bytes: 4000\n  max_text_chars: 2000\n  max_chunks_per_file: 3\n"
              "chunking:\n  size: 32\n  overlap: 4\n")
    many = "# Manual\n\n" + "".join(f"## Part {i}\n\n" + f"Part {i} covers item {i} in detail. " * 6 + "\n\n"
                                      for i in range(6))
    wordy = "<html><body>" + ("<p>" + "word " * 150 + "</p>") * 3 + "</body></html>"  # 2,300 bytes, 2,250 chars
    root = make_project({**DOCS, "huge.txt": "lorem ipsum " * 1000, "wordy.html": wordy, "many.md": many}, config)
    report = ingest(root)
    skipped = dict(report.skipped)
    assert "12,000 bytes" in skipped["huge.txt"] and "ingest.max_file_bytes (4,000)" in skipped["huge.txt"]
    assert "ingest.max_text_chars (2,000)" in skipped["wordy.html"]
    assert "ingest.max_chunks_per_file (3)" in skipped["many.md"]
    assert sorted(report.added) == sorted(DOCS)


def test_a_file_that_grows_over_a_limit_keeps_its_previous_version(make_project):
    root = make_project(DOCS, "ingest:\n  max_file_bytes: 1000\n")
    first = ingest(root)
    write_file(root / "documents" / "returns.md", "# Returns\n\n" + "Returns are fine. " * 100)
    report = ingest(root)
    assert "previous version kept" in dict(report.skipped)["returns.md"]
    assert report.version == first.version  # nothing changed
    assert KnowledgeBase(Project.load(root)).manifest().documents["returns.md"].chunks


# -- 4. config mistakes name the key ----------------------------------------------------------------------
@pytest.mark.parametrize("value", ["''", "'   '"])
def test_an_empty_embedding_model_names_the_key(tmp_path, value):
    init_project(tmp_path / "p")
    with pytest.raises(ConfigError, match="embedding.model"):
        load_config(tmp_path / "p", [f"embedding.model={value}"])


def test_the_cli_reports_an_empty_embedding_model_without_a_traceback(tmp_path, capsys):
    root = new_project(tmp_path / "p", DOCS, "embedding:\n  model: ''\n")
    assert main(["ingest", str(root)]) == 2
    err = capsys.readouterr().err
    assert "embedding.model" in err and "Traceback" not in err


def test_duplicate_keys_in_ragtune_yaml_name_the_key_and_the_line(tmp_path):
    init_project(tmp_path / "p")
    path = tmp_path / "p" / "ragtune.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\nretrieval:\n  k: 9\n", encoding="utf-8")
    line = len(text.splitlines()) + 2
    with pytest.raises(ConfigError, match=rf"duplicate key 'retrieval' at line {line}"):
        load_config(tmp_path / "p")
    path.write_text("name: p\nretrieval:\n  k: 3\n  mode: dense\n  k: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate key 'retrieval.k' at line 5"):
        load_config(tmp_path / "p")


def test_migrate_switch_leaves_one_store_section(make_project):
    root = make_project(DOCS)
    ingest(root)
    assert main(["migrate", str(root), "--to", "lancedb", "--path", "kb2", "--switch"]) == 0
    assert read_config_file(root / "ragtune.yaml")["store"]["path"] == "kb2"  # the strict loader accepts it
    assert load_config(root).store.path == "kb2"
