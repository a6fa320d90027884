"""An OpenAI-compatible HTTP API over a project's answer variants (the ``serve`` extra: FastAPI + uvicorn).

``create_app`` (app.py) builds the FastAPI app; ``serve`` (run.py) checks the bind address and runs it with uvicorn.
The modules: schemas (request models), errors (OpenAI-style error objects), auth (bearer keys and whom each reads
as), limits (concurrency and body size), service (the shared Runtime and embedder, per-request generation options),
shapes (response objects and stream chunks).
"""

from ragtune.errors import require

require("fastapi", extra="serve")
