"""Ray helpers shared by the ingest and evaluation engines: importing Ray (an error naming the extra when it is
missing), joining a cluster (an error saying what to do when it cannot be reached), and a Ray worker's error in
one line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ragtune.errors import MissingDependencyError, RagtuneError

RAY_HINT = "pip install 'ragtune[ray]'"


@dataclass(frozen=True)
class RayUse:
    """Who uses Ray, for its messages: the config section holding ``engine`` and ``ray_address``, and the
    command that runs without Ray."""

    section: str
    command: str


INGEST = RayUse("ingest", "ingest")
EVALUATION = RayUse("evaluation", "compare")


def import_ray(use: RayUse, data: bool = False) -> Any:
    """The ``ray`` module (with ``ray.data`` when ``data``); a MissingDependencyError naming the extra."""
    try:
        import ray

        if data:
            import ray.data  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(f"{use.section}.engine ray needs Ray, which is not installed: "
                                     f"run `{RAY_HINT}`") from exc
    return ray


def connect(ray: Any, address: str | None, use: RayUse) -> bool:
    """Join the cluster at ``address`` (None: start a local Ray, or join the one ``RAY_ADDRESS`` names) unless
    this process already has; True when this call started Ray (so its caller shuts it down)."""
    if ray.is_initialized():
        return False
    if address and address != "auto":
        check_reachable(address, use)  # Ray itself retries an unreachable address for a minute or more
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address!r}" if address else "a local Ray"
        raise RagtuneError(
            f"cannot start or reach {where} ({type(exc).__name__}: {str(exc).strip()[:300]}): check that "
            f"`ray status` works there and that {use.section}.ray_address (or --address) is right, "
            f"or {use.command} without --engine ray"
        ) from None
    return True


def check_reachable(address: str, use: RayUse, timeout: float = 5.0) -> None:
    """A RagtuneError saying what to do when nothing listens at ``address`` (host:port or ray://host:port)."""
    import socket

    host, _, port = address.removeprefix("ray://").rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        raise RagtuneError(f"{use.section}.ray_address {address!r}: expected host:port (e.g. head-node:6379) or "
                           "ray://host:10001")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RagtuneError(
            f"cannot reach the Ray cluster at {address!r} ({exc.strerror or exc}): start it (`ray start --head` on "
            f"the head node), check the address (--address or {use.section}.ray_address) and the firewall, "
            f"or {use.command} without --engine ray"
        ) from None


def error_cause(exc: BaseException) -> str:
    """The innermost error's type and message, in one line (Ray wraps a worker's error, Ray Data wraps that)."""
    cause, seen = exc, set()
    while id(cause) not in seen:
        seen.add(id(cause))
        inner = getattr(cause, "cause", None) or cause.__cause__
        if not isinstance(inner, BaseException):
            break
        cause = inner
    if type(cause).__module__.startswith("ray."):  # the user's error survives only in the remote traceback's text
        for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines():
            found = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): (.+)", line)
            if found and not found.group(1).startswith("ray."):  # the first printed is the innermost
                return f"{found.group(1).rsplit('.', 1)[-1]}: {found.group(2).strip()[:300]}"
    text = " ".join(str(cause).split())
    return f"{type(cause).__name__}: {text[:300]}"
