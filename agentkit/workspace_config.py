"""The workspace config file `agentkit.yaml` (optional): what calls cost, and the limits
`agentkit serve` puts on each request (its flags override them).

    prices:
      smollm2-135m: {cpu_second: 0.00001}           # a local model: $ per CPU-second
      gpt-4o-mini: {input: 0.15, output: 0.60}      # $ per million input / output tokens
      "*": {cpu_second: 0}                          # any other model (shell-style patterns)
    limits: {max_prompt_tokens: 4096, request_timeout: 120}

An adapter (`smollm2-135m:tool_calls`) costs what its base costs unless it has an entry of
its own; a model without a matching entry costs 0. Errors name `agentkit.yaml:line: key` and the fix.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentkit.errors import GraphSpecError, YamlFileError, read_text
from agentkit.spec.loader import parse_yaml, validation_problems

CONFIG_FILE = "agentkit.yaml"


class Price(BaseModel):
    """What one call of a model costs, in US dollars."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(0.0, ge=0, description="$ per million input (prompt) tokens")
    output: float = Field(0.0, ge=0, description="$ per million output (completion) tokens")
    cpu_second: float = Field(0.0, ge=0, description="$ per CPU-second of generation (local models)")

    def cost(self, input_tokens: int, output_tokens: int, cpu_seconds: float) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1e6 + cpu_seconds * self.cpu_second


class ServeLimits(BaseModel):
    """What one request to `agentkit serve` may ask for, and how long it may take."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="largest request body (413)")
    max_prompt_tokens: int | None = Field(None, ge=1, description="largest prompt in tokens (400; default: the "
                                                                  "model's context window)")
    max_completion_tokens: int = Field(2048, ge=1, description="largest max_tokens a request may ask (400)")
    request_timeout: float = Field(300.0, gt=0, description="seconds a request may run before a 504 "
                                                            "(its generation stops)")
    max_queue: int = Field(64, ge=0, description="requests waiting for a sequence before 503 + Retry-After")


class WorkspaceConfig(BaseModel):
    """The settings in `agentkit.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prices: dict[str, Price] = Field(default_factory=dict, description="model id or pattern -> price")
    limits: ServeLimits = Field(default_factory=ServeLimits, description="agentkit serve's request limits")

    def price_of(self, model: str) -> Price:
        """The price of `model`: an exact entry, else the first matching pattern, else (for an
        adapter id `base:adapter`) the base model's, else free."""
        if model in self.prices:
            return self.prices[model]
        matched = next((price for pattern, price in self.prices.items() if fnmatchcase(model, pattern)), None)
        if matched is not None:
            return matched
        base, _, adapter = model.partition(":")
        return self.price_of(base) if adapter else Price()


class WorkspaceConfigError(YamlFileError):
    """`agentkit.yaml` is not valid: every problem with its file:line: key."""

    what = "workspace config"


def load_workspace_config(workspace: Path) -> WorkspaceConfig:
    """`<workspace>/agentkit.yaml`, or the defaults when there is none."""
    path = workspace / CONFIG_FILE
    if not path.is_file():
        return WorkspaceConfig()
    text = read_text(path, "workspace config", f"fix or remove {CONFIG_FILE}")
    try:
        data, source = parse_yaml(text, str(path))
    except GraphSpecError as exc:
        raise WorkspaceConfigError(exc.problems) from None
    try:
        return WorkspaceConfig.model_validate(data or {})
    except ValidationError as exc:
        raise WorkspaceConfigError(validation_problems(exc, source, _allowed_keys)) from None


def _allowed_keys(path: tuple) -> list[str]:
    """The keys allowed where an unknown key `path` sits."""
    if len(path) == 3 and path[0] == "prices":
        return list(Price.model_fields)
    if len(path) == 2 and path[0] == "limits":
        return list(ServeLimits.model_fields)
    return list(WorkspaceConfig.model_fields)
