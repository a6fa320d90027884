"""Reading rows from JSONL, JSON or CSV files (question sets, task sets) with errors that name the file, the line
and what to do.

Text must be UTF-8 (a UTF-8 BOM is dropped, a UTF-16 BOM honoured); a JSON file holds a list of objects (or an
object with that list under ``key``); a CSV file has a header row whose names become the keys (lowercased).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

from ragtune.errors import InputError

SUFFIXES = (".jsonl", ".json", ".csv")


def label(path: Path) -> str:
    """``questions/train.csv``: short, and enough to find the file in a project."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def decode(data: bytes, where: str) -> str:
    """Strict UTF-8 (a UTF-8 BOM is dropped; a UTF-16 BOM is honoured), newlines normalised."""
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{where} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): re-save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def jsonl_rows(text: str, where: str, example: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, "file line N", object) per non-empty line; ``example`` shows a valid object in errors."""
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        at = f"{where} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{at}: not valid JSON ({exc.msg}, column {exc.colno}): fix or remove the line") from None
        if not isinstance(row, dict):
            raise InputError(f"{at}: expected a JSON object like {example}")
        records.append((number, at, row))
    return records


def json_rows(text: str, where: str, example: str, key: str) -> list[tuple[str, dict[str, Any]]]:
    """("file item N", object) per item of a JSON list (or of the list under ``key`` of an object)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where} line {exc.lineno}: not valid JSON ({exc.msg}, column {exc.colno}): fix it") from None
    if isinstance(data, dict) and isinstance(data.get(key), list):
        data = data[key]
    if not isinstance(data, list):
        raise InputError(f"{where}: expected a JSON list of objects like [{example}]")
    records = []
    for number, row in enumerate(data, start=1):
        at = f"{where} item {number}"
        if not isinstance(row, dict):
            raise InputError(f"{at}: expected a JSON object like {example}")
        records.append((at, row))
    return records


def csv_rows(text: str, where: str, required: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """("file line N", {column: cell}) per non-empty CSV row; the header must name one of ``required``.
    Each row also carries ``_columns`` (the header) for error messages."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"{where} line 1: not a valid CSV header ({exc})") from None
    columns = [c.strip().lower() for c in header]
    if not any(c in columns for c in required):
        raise InputError(
            f'{where} line 1: no {required[0]} column in the header (columns: {", ".join(columns)}): '
            f'name one "{required[0]}"'
        )
    records = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{where} line {reader.line_num}: not valid CSV ({exc}): fix the quoting") from None
        if not any(c.strip() for c in cells):
            continue
        at = f"{where} line {reader.line_num}"
        if len(cells) > len(columns):
            raise InputError(
                f"{at}: {len(cells)} values but {len(columns)} columns ({', '.join(columns)}): "
                "quote values that contain commas"
            )
        row: dict[str, Any] = {col: cell for col, cell in zip(columns, cells) if col}
        row["_columns"] = columns
        records.append((at, row))
    return records


def read_rows(path: Path, noun: str, example: str, required: tuple[str, ...], key: str) -> list[tuple[str, dict]]:
    """("where", row) for every row of a .jsonl, .json or .csv file of ``noun``s (e.g. "question"); a clear
    InputError for a missing, empty, undecodable or malformed file."""
    path = Path(path)
    where = label(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        kind = path.suffix or "(no suffix)"
        raise InputError(f"{where}: unsupported {noun} file type {kind!r}: use .jsonl, .json or .csv")
    if not path.is_file():
        raise InputError(f"{where}: no such file")
    text = decode(path.read_bytes(), where)
    if suffix == ".jsonl":
        records = [(at, row) for _, at, row in jsonl_rows(text, where, example)]
    elif suffix == ".json":
        records = json_rows(text, where, example, key) if text.strip() else []
    else:
        records = csv_rows(text, where, required) if text.strip() else []
    if not records:
        raise InputError(f"{where} has no {noun}s: add some or remove the file")
    return records


def read_jsonl_records(path: Path, example: str = "{...}") -> list[tuple[int, str, dict[str, Any]]]:
    """(line number, where, object) for each non-empty line of a UTF-8 JSONL file; errors name the file and line."""
    path = Path(path)
    return jsonl_rows(decode(path.read_bytes(), label(path)), label(path), example)
