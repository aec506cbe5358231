"""`agentkit phoenix`: a local Phoenix (trace UI + OTLP collector) on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from agentkit.cli.errors import friendly_errors
from agentkit.errors import ConfigError
from agentkit.observability.phoenix import (
    DEFAULT_GRPC_PORT,
    DEFAULT_PORT,
    PhoenixConfig,
    default_working_dir,
    is_healthy,
    launch_phoenix,
    project_url,
    run_foreground,
    stop_phoenix,
)


@friendly_errors
def phoenix_command(
    port: Annotated[int, typer.Option(help="HTTP port: UI, REST API, OTLP/HTTP")] = DEFAULT_PORT,
    grpc_port: Annotated[int, typer.Option(help="OTLP/gRPC port")] = DEFAULT_GRPC_PORT,
    working_dir: Annotated[
        Path | None,
        typer.Option(help="SQLite database and log (default: <workspace>/.agentkit/phoenix)"),
    ] = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="run in the background")] = False,
    stop: Annotated[
        bool, typer.Option("--stop", help="stop the background server of this working dir")
    ] = False,
) -> None:
    """Start Phoenix and print its URL (Ctrl-C stops it), or stop a detached one."""
    if detach and stop:
        raise ConfigError("--detach and --stop exclude each other; give one of them")
    config = _config(port, grpc_port, working_dir or default_working_dir())
    if stop:
        stopped = stop_phoenix(config)
        typer.echo(
            "Phoenix stopped" if stopped else f"no background Phoenix recorded in {config.pid_file}"
        )
        return
    if is_healthy(config.url):
        typer.echo(f"Phoenix already running at {config.url}")
        return
    typer.echo(f"starting Phoenix in {config.working_dir} (about 10 s) ...")
    if detach:
        _print_endpoints(launch_phoenix(config, detach=True).url, config)
        typer.echo("running in the background; stop it with `agentkit phoenix --stop`")
        return

    def ready(url: str) -> None:
        _print_endpoints(url, config)
        typer.echo("Ctrl-C stops it")

    run_foreground(config, on_ready=ready)
    typer.echo("Phoenix stopped")


def _config(port: int, grpc_port: int, working_dir: Path) -> PhoenixConfig:
    try:
        return PhoenixConfig(port=port, grpc_port=grpc_port, working_dir=working_dir)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'ports'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"agentkit phoenix: {problems}; fix --port / --grpc-port") from None


def _print_endpoints(url: str, config: PhoenixConfig) -> None:
    typer.echo(f"Phoenix running at {url}")
    typer.echo(
        f"  a project:   {url}/redirects/projects/<project name>  (e.g. {project_url(url, 'chat')})"
    )
    typer.echo(f"  OTLP/HTTP:   {url}/v1/traces   OTLP/gRPC: 127.0.0.1:{config.grpc_port}")
    typer.echo(f"  log:         {config.log_file}")
