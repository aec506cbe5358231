"""`agentkit finetune sft|dpo CONFIG.yaml`: parse flags, show progress, print the outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Callable

import typer
from rich.console import Console

from agentkit.cli.errors import friendly_errors
from agentkit.cli.eval_run import RichProgress

EXIT_INTERRUPTED = 130
TASK = "training"
console = Console()
finetune_app = typer.Typer(help="Train a LoRA/QLoRA adapter (SFT or DPO) from a config file.",
                           no_args_is_help=True)


class RichObserver:
    """A progress bar on stderr (the eval commands' RichProgress) with the latest loss and
    tokens/s; log lines above it."""

    def __init__(self) -> None:
        self.progress = RichProgress()
        self.bars = self.progress.bars

    def start(self, total_steps: int, first_step: int) -> None:
        self.progress.__enter__()
        self.progress.start(TASK, total_steps)
        self.bars.update(self.progress.tasks[TASK], completed=first_step)
        if first_step:
            self.log(f"resumed at step {first_step} of {total_steps}")

    def step(self, step: int, loss: float | None, tokens_per_s: float | None) -> None:
        if TASK not in self.progress.tasks:
            return
        note = " ".join(part for part in (
            f"loss {loss:.3f}" if loss is not None else "",
            f"{tokens_per_s:,.0f} tok/s" if tokens_per_s else "") if part)
        self.bars.update(self.progress.tasks[TASK], completed=step, note=note)

    def evaluated(self, step: int, eval_loss: float) -> None:
        self.log(f"step {step}: eval loss {eval_loss:.4f}")

    def log(self, message: str) -> None:
        self.bars.console.print(message, highlight=False, markup=False, soft_wrap=True)

    def stop(self) -> None:
        self.progress.__exit__(None, None, None)


ConfigArg = Annotated[Path, typer.Argument(help="fine-tuning config (YAML), see docs/finetune.md",
                                           show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="override a config field, e.g. --set lora.rank=16 (repeatable)", show_default=False)]
StepsOpt = Annotated[int | None, typer.Option("--steps", min=1, help="optimizer steps (overrides epochs)")]
EpochsOpt = Annotated[float | None, typer.Option("--epochs", min=0.0, help="passes over the data")]
LrOpt = Annotated[float | None, typer.Option("--lr", help="learning rate")]
BatchOpt = Annotated[int | None, typer.Option("--batch-size", min=1, help="rows per device step")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="adapter folder to write")]
BaseOpt = Annotated[str | None, typer.Option("--base-model", help="base model: folder, .gguf or hub id")]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="continue from the newest complete checkpoint")]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="replace an adapter or checkpoints in --output")]
ProjectOpt = Annotated[str, typer.Option("--phoenix-project", help="Phoenix project for the run's trace")]
NoTraceOpt = Annotated[bool, typer.Option("--no-trace", help="do not trace the run into Phoenix")]


def _command(method: str, summary: str) -> Callable[..., None]:
    """`agentkit finetune METHOD CONFIG [flags]` (the same flags for every method)."""

    @finetune_app.command(method, help=summary)
    @friendly_errors
    def command(config: ConfigArg, set_: SetOpt = None, steps: StepsOpt = None, epochs: EpochsOpt = None,
                lr: LrOpt = None, batch_size: BatchOpt = None, output: OutputOpt = None,
                base_model: BaseOpt = None, resume: ResumeOpt = False, overwrite: OverwriteOpt = False,
                phoenix_project: ProjectOpt = "finetune", no_trace: NoTraceOpt = False) -> None:
        fields = {"train.steps": steps, "train.epochs": epochs, "train.lr": lr, "train.batch_size": batch_size,
                  "output": str(output.resolve()) if output else None, "base_model": base_model}
        _run(method, config, set_, fields, output is not None, resume=resume, overwrite=overwrite,
             project=None if no_trace else phoenix_project)

    command.__doc__ = summary
    return command


sft_command = _command("sft", "Supervised fine-tuning: loss on the completions only.")
dpo_command = _command("dpo", "Direct preference optimisation; the adapter-disabled model is the reference.")


def _run(method: str, path: Path, overrides: list[str] | None, fields: dict[str, Any], output: bool, *,
         resume: bool, overwrite: bool, project: str | None) -> None:
    from agentkit.finetune.config import load_config
    from agentkit.finetune.train import run_finetune

    config = load_config(path, method, overrides, **fields)  # type: ignore[arg-type]
    result = run_finetune(config, resume=resume, overwrite=overwrite, observer=RichObserver(),
                          trace_project=project)
    figures = ", ".join(part for part in (
        f"train loss {result.train_loss:.4f}" if result.train_loss is not None else "",
        f"eval loss {result.eval_loss:.4f}" if result.eval_loss is not None else "",
        f"{result.tokens_per_s:,.0f} tok/s" if result.tokens_per_s else "",
        f"{result.seconds:.0f} s") if part)
    if result.bad_rows:
        console.print(f"skipped {len(result.bad_rows)} malformed row(s) (listed above)", highlight=False)
    if result.interrupted:
        console.print(f"stopped at step {result.steps}; checkpoint {result.checkpoint}\n"
                      f"continue with: agentkit finetune {method} {path} --resume"
                      + (f" --output {config.output_dir()}" if output else ""), highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    console.print(f"adapter {config.name} ({method}, {result.steps} steps, {figures}) written to "
                  f"{result.output}", highlight=False, soft_wrap=True)
