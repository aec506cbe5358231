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
from agentkit.workspace_config import ServeLimits, load_workspace_config

console = Console(stderr=True, highlight=False)


def _limit(name: str) -> str:
    """A limit's help: what it is and its default (from ServeLimits, the one place it is set)."""
    field = ServeLimits.model_fields[name]
    default = "" if field.default is None else f" [default: {field.default:,}]"
    return f"{field.description}; overrides limits.{name} in agentkit.yaml{default}"


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
    max_queue: Annotated[int | None, typer.Option("--max-queue", help=_limit("max_queue"))] = None,
    max_body_bytes: Annotated[int | None, typer.Option("--max-body-bytes", help=_limit("max_body_bytes"))] = None,
    max_prompt_tokens: Annotated[int | None, typer.Option("--max-prompt-tokens", help=_limit("max_prompt_tokens"))]
        = None,
    max_completion_tokens: Annotated[int | None, typer.Option(
        "--max-completion-tokens", help=_limit("max_completion_tokens"))] = None,
    request_timeout: Annotated[float | None, typer.Option("--request-timeout", help=_limit("request_timeout"))]
        = None,
    drain_timeout: Annotated[float, typer.Option("--drain-timeout", min=0.1,
                                                 help="seconds in-flight requests get after SIGTERM")] = 60.0,
    trace: Annotated[bool, typer.Option("--trace/--no-trace", help="export spans to Phoenix")] = True,
    require_keys: Annotated[bool, typer.Option(
        "--require-keys", help="ask for an API key on loopback too (other addresses always do)")] = False,
    cors_origin: Annotated[list[str] | None, typer.Option(
        "--cors-origin", help="an origin browsers may call from (repeat; default: CORS off)")] = None,
    log_calls: Annotated[bool, typer.Option("--log-calls/--no-log-calls",
                                            help="log each call: model, tokens, latency, status")] = True,
) -> None:
    """Serve the local chat model (and its adapters), the embedder and every graph of the
    workspace: an OpenAI-compatible API (/v1), a graph API (/graphs, /threads), /docs,
    /healthz, /readyz and /metrics. SIGTERM drains: in-flight requests finish, new ones get 503."""
    from pydantic import ValidationError

    from agentkit.server.state import ServeConfig

    workspace = find_workspace()
    given = {"max_queue": max_queue, "max_body_bytes": max_body_bytes, "max_prompt_tokens": max_prompt_tokens,
             "max_completion_tokens": max_completion_tokens, "request_timeout": request_timeout}
    try:
        limits = load_workspace_config(workspace).limits.model_dump()
        limits.update({key: value for key, value in given.items() if value is not None})
        config = ServeConfig(host=host, port=port, workspace=workspace, graphs=graphs, quant=quant,
                             parallel=parallel, threads=threads, limits=ServeLimits(**limits),
                             drain_timeout=drain_timeout, trace=trace,
                             require_keys=require_keys, cors_origins=tuple(cors_origin or ()))
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(f"--{str(error['loc'][-1]).replace('_', '-')}: {error['msg']}") from None
    if config.graphs is not None and not config.graphs.is_dir():
        raise ConfigError(f"--graphs {config.graphs}: not a folder; give the folder of graph files")
    from agentkit.server.process import serve

    serve(config, say=lambda text: console.print(escape(text), soft_wrap=True), log_calls=log_calls)
