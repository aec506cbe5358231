"""The FastAPI app of `agentkit serve`: routes, error handlers, the life-cycle middleware,
and loading (models and graphs load after the process is up: `/healthz` answers at once,
`/readyz` once everything is loaded)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from agentkit.access.keys import KeyStore
from agentkit.models.backends import configure_local_engine
from agentkit.net import is_loopback
from agentkit.server import graph_routes, openai_routes
from agentkit.server.auth import AuthMiddleware
from agentkit.server.errors import install_handlers
from agentkit.server.lifecycle import Lifecycle, LifecycleMiddleware
from agentkit.server.served_graphs import ServedGraphs
from agentkit.server.served_models import ServedModels
from agentkit.server.state import ServeConfig, ServerState
from agentkit.telemetry.metrics import CONTENT_TYPE, Metrics
from agentkit.telemetry.sink import Telemetry
from agentkit.workspace_config import load_workspace_config

_log = logging.getLogger("agentkit.server")
Announce = Callable[[ServerState], None]


def create_app(config: ServeConfig, lifecycle: Lifecycle | None = None, on_ready: Announce | None = None) -> FastAPI:
    """The app for `config`; `on_ready` is called once models and graphs are loaded."""
    lifecycle = lifecycle or Lifecycle()
    metrics = Metrics()
    workspace_config = load_workspace_config(config.workspace)
    state = ServerState(config=config, telemetry=Telemetry(config.workspace, workspace_config, metrics),
                        metrics=metrics, lifecycle=lifecycle, started=int(time.time()),
                        keys=KeyStore.of(config.workspace))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.create_task(asyncio.to_thread(load, state))
        loading.add_done_callback(lambda task: _loaded(task, state, on_ready))
        app.state.loading = loading
        yield
        state.telemetry.close()
        state.runs.shutdown(wait=False, cancel_futures=True)
        if hasattr(state, "graphs"):
            state.graphs.close()

    app = FastAPI(title="agentkit serve", version="1", lifespan=lifespan,
                  description="The workspace's graphs, the local chat model with its adapters, and the embedder: "
                              "an OpenAI-compatible API (/v1), a graph API (/graphs, /threads), /metrics.")
    app.state.server = state
    install_handlers(app)
    app.include_router(openai_routes.router)
    app.include_router(graph_routes.router)
    _health_routes(app, state)
    app.add_middleware(AuthMiddleware, store=state.keys, limits=state.key_limits,
                       required=config.require_keys or not is_loopback(config.host))
    app.add_middleware(LifecycleMiddleware, lifecycle=lifecycle, max_body_bytes=config.limits.max_body_bytes)
    if config.cors_origins:  # outermost, so that a browser's preflight needs no key
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type"])
    return app


def load(state: ServerState) -> None:
    """Load the models (engine settings first) and the graphs; trace into Phoenix if asked."""
    config = state.config
    configure_local_engine(quant=config.quant, parallel=config.parallel, max_queue=config.limits.max_queue,
                           **({"threads": config.threads} if config.threads else {}))
    state.models = ServedModels.load()
    state.graphs = ServedGraphs(config.graph_dir, config.workspace)
    engine = getattr(state.models.chat.backend, "engine", None)
    if engine is not None:
        state.metrics.watch_engines(lambda: [(state.models.base_id, *_engine_row(engine))])
    if config.trace:
        from agentkit.observability.prices import register_prices
        from agentkit.observability.tracing import enable_tracing

        state.traced = enable_tracing("agentkit-serve")
        if state.traced:
            register_prices(state.telemetry.config.prices, [state.models.chat.tokens.name])


def _engine_row(engine: Any) -> tuple[int, int, int]:
    snapshot = engine.snapshot()
    return snapshot.waiting, snapshot.running, snapshot.parallel


def _loaded(task: asyncio.Task[None], state: ServerState, on_ready: Announce | None) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        _log.error("loading failed: %s", error, exc_info=error)
        state.lifecycle.failed = str(error)
        return
    state.lifecycle.ready = True
    if on_ready is not None:
        on_ready(state)


def _health_routes(app: FastAPI, state: ServerState) -> None:
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Models and graphs are loaded and the server takes requests (503 while loading or draining)."""
        lifecycle = state.lifecycle
        if lifecycle.failed:
            return JSONResponse({"status": "failed", "error": lifecycle.failed}, status_code=503)
        if lifecycle.draining or not lifecycle.ready:
            return JSONResponse({"status": "draining" if lifecycle.draining else "loading"}, status_code=503)
        return JSONResponse({"status": "ready", "models": [m["id"] for m in state.models.listing(state.started)],
                             "graphs": sorted(state.graphs.graphs)})

    @app.get("/metrics", tags=["health"])
    async def metrics(request: Request) -> Response:
        """Prometheus metrics (text exposition format)."""
        return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)
