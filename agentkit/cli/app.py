"""One Typer app: every `agentkit` sub-command is registered here."""

from __future__ import annotations

import typer

from agentkit.cli.adapters import adapters_app
from agentkit.cli.ask import ask_command
from agentkit.cli.eval import eval_app
from agentkit.cli.eval_groundedness import groundedness_command
from agentkit.cli.eval_multihop import multihop_command
from agentkit.cli.eval_tone import tone_command
from agentkit.cli.finetune import finetune_app
from agentkit.cli.generate import generate_command
from agentkit.cli.graph import graph_app
from agentkit.cli.index import index_command
from agentkit.cli.kg import kg_app
from agentkit.cli.nodes import nodes_command
from agentkit.cli.optimize import optimize_command
from agentkit.cli.phoenix import phoenix_command
from agentkit.cli.prompts import prompts_app
from agentkit.cli.run import resume_command, run_command
from agentkit.cli.serve import serve_command
from agentkit.cli.keys import keys_app
from agentkit.cli.stats import stats_command

app = typer.Typer(
    name="agentkit",
    help="Declarative LangGraph agents, offline local models, Phoenix tracing.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

app.command("run")(run_command)
app.command("resume")(resume_command)
app.command("serve")(serve_command)
app.add_typer(keys_app, name="keys")
app.command("stats")(stats_command)
app.command("ask")(ask_command)
app.add_typer(graph_app, name="graph")
app.command("nodes")(nodes_command)
app.command("phoenix")(phoenix_command)
app.command("generate")(generate_command)
app.command("index")(index_command)
app.add_typer(kg_app, name="kg")
app.add_typer(prompts_app, name="prompts")
eval_app.command("groundedness")(groundedness_command)
eval_app.command("tone")(tone_command)
eval_app.command("multihop")(multihop_command)
app.add_typer(eval_app, name="eval")
app.command("optimize")(optimize_command)
app.add_typer(finetune_app, name="finetune")
app.add_typer(adapters_app, name="adapters")


def main() -> None:
    """Console-script entry point."""
    app()
