"""The web page: ``GET /`` (one HTML page with its same-folder CSS and JS), ``GET /api/status`` and ``GET /report``.

The page itself and its static files are open (they hold no secrets, so the page can ask for the key);
/api/ and /report sit behind the same bearer keys as /v1 (see ``create_app``). The report shows retrieved chunks of
every document, so only the owner key may open it; a restricted key's status counts only what it may read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ragtune.access import visible_documents
from ragtune.errors import InputError
from ragtune.project import Project
from ragtune.server.auth import ServerKey, request_key, require_owner
from ragtune.server.errors import ApiError
from ragtune.server.service import Service

STATIC = Path(__file__).parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}


def install_page(app: FastAPI) -> None:
    """Add the page, its static files, /api/status and /report to ``app``."""
    router = APIRouter()
    router.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    router.add_api_route("/api/status", status, methods=["GET"])
    router.add_api_route("/report", report, methods=["GET"])
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


async def index() -> FileResponse:
    """The page (static: everything it shows comes from /api/status and /v1)."""
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=NO_CACHE)


def _latest_report(project: Project) -> Path | None:
    """The newest run's report.html, read afresh on every call (None when there is no run or no report)."""
    from ragtune.evaluate.runs import latest_run

    try:
        path = latest_run(project) / "report.html"
    except InputError:
        return None
    return path if path.is_file() else None


def project_status(service: Service, key: ServerKey | None = None) -> dict[str, Any]:
    """The project, its knowledge base's current version, the models (stale ones with reasons), the report (for
    the owner) and the key the request came with; a restricted ``key`` counts only the documents it may read."""
    from ragtune.training.artifact import model_status
    from ragtune.variants import VARIANTS

    project = service.project
    kb = service.runtime.kb  # its version metadata is read from disk on every call: other processes' ingests show
    manifest = kb.manifest()
    allowed = key.labels if key is not None else None  # None: the owner's view
    kb_info = None
    if manifest is not None:
        documents = visible_documents(manifest, allowed)
        kb_info = {"version": manifest.version, "created": manifest.created, "documents": len(documents),
                   "chunks": sum(len(d.chunks) for d in documents)}
    models = []
    for variant in service.variants():
        stale = model_status(project, variant, kb).stale if VARIANTS[variant].trained else []
        models.append({"id": service.model_id(variant), "variant": variant, "stale": stale})
    path = _latest_report(project) if allowed is None else None
    return {"project": service.name, "kb": kb_info, "models": models,
            "report": {"run": path.parent.name, "url": "/report"} if path else None,
            "key": key.describe() if key is not None else None}


def status(request: Request) -> JSONResponse:
    """What the page shows besides the answers (a plain function: FastAPI runs it off the event loop)."""
    return JSONResponse(project_status(request.app.state.service, request_key(request)), headers=NO_CACHE)


def report(request: Request) -> FileResponse:
    """The latest compare run's report.html (404 before the first run; 403 for a restricted key)."""
    require_owner(request, "the compare report")
    service: Service = request.app.state.service
    path = _latest_report(service.project)
    if path is None:
        raise ApiError(404, f"no compare report yet: run `ragtune compare {service.project.root}` first",
                       code="no_report")
    return FileResponse(path, media_type="text/html", headers=NO_CACHE)
