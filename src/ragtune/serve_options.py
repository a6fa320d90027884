"""The options of ``ragtune serve`` in one place, with their defaults and help texts: the CLI's flags,
``ragtune.serve``, ``ragtune.server.run.serve`` and ``create_app`` all read them from here.

Outside the ``ragtune.server`` package on purpose: that package needs FastAPI on import, and the CLI builds its flags
from this module without it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

ENV_KEY = "RAGTUNE_API_KEY"  # the owner key when none is given
MIB = 1024 * 1024


def _flag(help: str | None = None, metavar: str | None = None, limit: bool = False,
          shown: Callable[[Any], str] = str) -> dict[str, Any]:
    """A field's CLI flag: ``help`` with ``{default}`` filled in by ``shown(default)``; ``limit``: the app's limits."""
    return {"help": help, "metavar": metavar, "limit": limit, "shown": shown}


@dataclass(frozen=True)
class ServeOptions:
    """Where ``ragtune serve`` listens, its owner key, and the app's limits (the fields marked ``limit``)."""

    host: str = field(default="127.0.0.1", metadata=_flag("address to listen on (default: {default}, this machine "
                                                          "only)"))
    port: int = field(default=8000, metadata=_flag())
    api_key: str | None = field(default=None, repr=False, metadata=_flag(
        f"owner key: reads every document; with it or access.keys, every /v1 request must send a key (default: "
        f"${ENV_KEY})"))
    allow_no_key: bool = field(default=False, metadata=_flag("listen beyond loopback without an API key"))
    max_concurrency: int = field(default=16, metadata=_flag(
        "requests answered at once (default: {default}); those on one model are generated together", "N", True))
    max_batch: int = field(default=16, metadata=_flag(
        "most requests generated together on one model; 1 generates them one after another (default: {default})",
        "N", True))
    max_queue: int = field(default=32, metadata=_flag("requests waiting for a slot before 503 (default: {default})",
                                                      "N", True))
    max_body_bytes: int = field(default=MIB, metadata=_flag("largest request body (default: {default})", "N", True,
                                                            shown=lambda n: f"{n // MIB} MiB"))
    max_tokens: int = field(default=1024, metadata=_flag(
        "most tokens per answer; a request asking for more gets 400 (default: {default})", "N", True))

    @classmethod
    def of(cls, options: ServeOptions | None = None, /, **changes: Any) -> ServeOptions:
        """``options`` (default: all defaults) with ``changes`` by field name; a None change keeps the field."""
        return replace(options or cls(), **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One flag per field (``--max-tokens N``...), defaulting to the field's default."""
        for f in fields(cls):
            meta, kw = f.metadata, {"default": f.default}
            if f.type == "bool":
                kw["action"] = "store_true"
            elif f.type == "int":
                kw["type"] = int
            if meta["metavar"]:
                kw["metavar"] = meta["metavar"]
            if meta["help"]:
                kw["help"] = meta["help"].format(default=meta["shown"](f.default))
            parser.add_argument(f"--{f.name.replace('_', '-')}", **kw)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        """The options parsed by the flags of ``add_arguments``."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})


LIMITS = tuple(f.name for f in fields(ServeOptions) if f.metadata["limit"])  # create_app's keywords
