"""Atomic file writes and folder swaps: a reader sees the old content or the new, never a half-written file.

A file is written to a temporary file beside it (same folder, so the same filesystem), flushed and fsynced, then
moved onto the target with ``os.replace``; the folder is fsynced afterwards where the platform allows it. If the
write fails, the temporary file is removed and the target is left as it was. Replacing an existing file keeps its
permission bits (the temporary file is never more open than the target while it is written); a new file gets the
usual ones (0o666 less the umask). A symbolic link at the target is replaced by the new file, as ``os.replace``
does.

A folder built in full beside its target is moved into place with :func:`swap_folder`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

StrPath = str | os.PathLike[str]


@contextmanager
def replacing(path: StrPath, durable: bool = True) -> Iterator[Path]:
    """Yield a new, empty temporary file beside ``path`` for the block to write; when the block ends without an
    error the file is fsynced and moved onto ``path``. On an error it is removed and ``path`` is left as it was.
    ``durable=False`` skips both fsyncs (still atomic, not crash-durable): for files rewritten often or large ones
    whose loss a rerun repairs (a store's counters beside data the store itself does not fsync, best weights).

    For writers that want a file name (``safetensors.torch.save_file``); text and JSON have the functions below.
    """
    target = Path(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    tmp = _create_temp(target, 0o666 if mode is None else mode | 0o600)  # owner read/write only while writing
    try:
        yield tmp
        if durable:
            _fsync_file(tmp)
        if mode is not None:
            os.chmod(tmp, mode)  # exactly the target's bits (the umask may have taken some off at creation)
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        _fsync_dir(target.parent)


def write_bytes(path: StrPath, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (``durable`` as in ``replacing``)."""
    with replacing(path, durable) as tmp, open(tmp, "wb") as handle:
        handle.write(data)


def write_text(path: StrPath, text: str, encoding: str = "utf-8", durable: bool = True) -> None:
    """Write ``text`` to ``path`` atomically (no newline translation: ``\\n`` is written as is)."""
    write_bytes(path, text.encode(encoding), durable)


def write_json(path: StrPath, obj: Any, *, durable: bool = True, **json_kwargs: Any) -> None:
    """Write ``json.dumps(obj, **json_kwargs)`` (as UTF-8, no trailing newline) to ``path`` atomically. The object
    is serialised before anything is written, so one that JSON cannot hold leaves no trace."""
    write_text(path, json.dumps(obj, **json_kwargs), durable=durable)


def write_jsonl(path: StrPath, rows: Iterable[Any], **json_kwargs: Any) -> None:
    """Write one ``json.dumps(row, **json_kwargs)`` line per row (each ending in ``\\n``, UTF-8) to ``path``
    atomically, streaming the rows."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, **json_kwargs) + "\n")


def swap_folder(built: StrPath, target: StrPath) -> None:
    """Move the complete folder ``built`` to ``target`` (the same filesystem, e.g. a sibling), replacing whatever is
    there. The old target is first renamed aside to ``.old-<name>`` beside it and deleted only once the new one is
    in place (put back if that fails), so ``target`` is never a half-deleted folder; an aside left by a killed swap
    is deleted first. The files inside ``built`` are not fsynced (they may be gigabytes of weights)."""
    built, target = Path(built), Path(target)
    aside = target.with_name(f".old-{target.name}")
    _remove(aside)
    moved = target.exists() or target.is_symlink()
    if moved:
        os.rename(target, aside)
    try:
        os.rename(built, target)
    except BaseException:
        if moved:
            with suppress(OSError):
                os.rename(aside, target)
        raise
    _fsync_dir(target.parent)
    _remove(aside)


# ----------------------------------------------------------------------------- internals


def _create_temp(target: Path, mode: int) -> Path:
    """Create a new, empty, uniquely named file ``.<name>.<random>.tmp`` beside ``target``, with ``mode`` (less the
    umask). The name ends in .tmp so that globs for the target's kind (``*.json``) do not pick it up."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the platform can (not on Windows, nor on some filesystems)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Delete a file, link or folder tree if there is one (best effort)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink()
