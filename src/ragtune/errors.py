"""Errors ragtune raises on purpose: each says what went wrong and what to do."""

from __future__ import annotations


class RagtuneError(Exception):
    """Base class: a user-facing error whose message says what to do."""


class ConfigError(RagtuneError):
    """A ragtune.yaml value (or --set override) is missing or invalid."""


class InputError(RagtuneError):
    """A document, dataset or request cannot be used as given."""


class StoreBusy(RagtuneError):
    """Another writer (an ingest, rollback or migrate) holds the knowledge base's lock."""


class MissingDependencyError(RagtuneError, ImportError):
    """An optional package or model is not installed; the message names what to install."""


def require(module: str, extra: str | None = None, package: str | None = None):
    """Import ``module`` or raise a MissingDependencyError naming the pip install to run."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        target = f"'ragtune[{extra}]'" if extra else (package or module)
        raise MissingDependencyError(f"{module} is not installed: run `pip install {target}`") from exc
