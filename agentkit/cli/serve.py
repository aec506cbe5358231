"""`agentkit serve`: the workspace's graphs and the local models over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.workspace import find_workspace

console = Console(stderr=True, highlight=False)


@friendly_errors
def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free port, printed)")] = 8000,
    graphs: Annotated[Path | None, typer.Option(help="graph folder (default: the workspace's graphs/)")] = None,
    quant: Annotated[str | None, typer.Option(
        help="GGUF level of the local model: f16, q8_0, q5_1, q4_1, q4_0 (default: the file's own)")] = None,
    parallel: Annotated[int, typer.Option(min=1, max=256, help="sequences generated together")] = 8,
    threads: Annotated[int | None, typer.Option(
        min=1, help="llama.cpp threads (default: 1 on a machine of at most 2 cores, else one per core up to 8)")]
        = None,
    max_queue: Annotated[int, typer.Option("--max-queue", min=0,
                                           help="requests waiting for a sequence before 503 + Retry-After")] = 64,
    max_body_bytes: Annotated[int, typer.Option("--max-body-bytes", min=1024, help="largest request body (413)")]
        = 4 * 1024 * 1024,
    drain_timeout: Annotated[float, typer.Option("--drain-timeout", min=0.1,
                                                 help="seconds in-flight requests get after SIGTERM")] = 60.0,
    trace: Annotated[bool, typer.Option("--trace/--no-trace", help="export spans to Phoenix")] = True,
    log_calls: Annotated[bool, typer.Option("--log-calls/--no-log-calls",
                                            help="log each call: model, tokens, latency, status")] = True,
) -> None:
    """Serve the local chat model (and its adapters), the embedder and every graph of the
    workspace: an OpenAI-compatible API (/v1), a graph API (/graphs, /threads), /docs,
    /healthz, /readyz and /metrics. SIGTERM drains: in-flight requests finish, new ones get 503."""
    from pydantic import ValidationError

    from agentkit.server.state import ServeConfig

    try:
        config = ServeConfig(host=host, port=port, workspace=find_workspace(), graphs=graphs, quant=quant,
                             parallel=parallel, threads=threads, max_queue=max_queue, max_body_bytes=max_body_bytes,
                             drain_timeout=drain_timeout, trace=trace)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"--{str(error['loc'][0]).replace('_', '-')}: {error['msg']}") from None
    if config.graphs is not None and not config.graphs.is_dir():
        raise ConfigError(f"--graphs {config.graphs}: not a folder; give the folder of graph files")
    from agentkit.server.process import serve

    serve(config, say=lambda text: console.print(escape(text), soft_wrap=True), log_calls=log_calls)
