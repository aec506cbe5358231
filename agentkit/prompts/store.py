"""Prompt files in the workspace, and every version of them ever loaded.

`prompts/NAME.yaml` is the current text; `prompts/.history/NAME/VERSION.json` keeps each
version seen (written when a graph or command loads it; viewing never writes), so a graph
pinned to `NAME@VERSION` or `NAME@LABEL` keeps working after the file changes. The history
sits beside the prompts, so it is committed with the workspace. A prompt name is a name,
never a path: it resolves inside the prompts folder only."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from agentkit.errors import ConfigError, GraphSpecError, read_text, suggest
from agentkit.prompts.models import NAME_PATTERN, Prompt
from agentkit.spec.bounds import MAX_FILE_BYTES
from agentkit.spec.loader import parse_yaml

HISTORY = ".history"


class PromptVersion(BaseModel):
    """One stored version of a prompt."""

    prompt: Prompt
    saved_at: datetime


def split_ref(ref: str) -> tuple[str, str | None]:
    """`name@version` -> (name, version); `name` -> (name, None)."""
    name, _, version = ref.partition("@")
    return name, version or None


def check_name(name: str) -> str:
    """`name` if it is a prompt name (letters, digits, `_`, `-`); a path is refused."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise ConfigError(
            f"{name!r} is not a prompt name: a prompt is referred to by the name of its file in the "
            f"workspace's prompts/ folder (letters, digits, _ and -, e.g. `qa` for prompts/qa.yaml), "
            f"never by a path; copy the file into prompts/ and use its name"
        )
    return name


class PromptStore:
    """The prompts of one workspace folder (`<workspace>/prompts`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def names(self) -> list[str]:
        """Names of the prompt files."""
        return sorted(path.stem for path in self.folder.glob("*.yaml"))

    def current(self, name: str, *, record: bool = True) -> Prompt:
        """The prompt file's current content (kept in the history if `record`)."""
        path = self.folder / f"{check_name(name)}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"no prompt named {name!r} in {self.folder} ({suggest(name, self.names())}); "
                f"create {path.name} with at least `template:`"
            )
        if not path.resolve().is_relative_to(self.folder.resolve()):
            raise ConfigError(f"{path} links to {path.resolve()}, outside {self.folder}; "
                              f"prompts are read from the prompts folder only: copy the file there")
        prompt = _read(path)
        if record:
            self.record(prompt)
        return prompt

    def get(self, ref: str, *, record: bool = True) -> Prompt:
        """`name` (current file) or `name@version` (hash prefix or label, from the history).

        `record=False` only reads: nothing is written (for viewing)."""
        name, wanted = split_ref(ref)
        current = self.current(name, record=record)
        if wanted is None or current.version.startswith(wanted) or current.label == wanted:
            return current
        matches = [v.prompt for v in self.versions(name) if v.prompt.version.startswith(wanted) or v.prompt.label == wanted]
        if not matches:
            known = ", ".join(f"{v.prompt.version}{f' ({v.prompt.label})' if v.prompt.label else ''}"
                              for v in self.versions(name))
            raise ConfigError(f"prompt {name!r} has no version {wanted!r}; known versions: {known}")
        return matches[-1]

    def versions(self, name: str) -> list[PromptVersion]:
        """Every recorded version of `name`, oldest first."""
        folder = self.folder / HISTORY / check_name(name)
        return sorted((_read_version(path) for path in folder.glob("*.json")), key=lambda v: v.saved_at)

    def record(self, prompt: Prompt) -> None:
        """Keep this version in the history (once; atomically)."""
        path = self.folder / HISTORY / prompt.name / f"{prompt.version}.json"
        if path.exists():
            return
        entry = PromptVersion(prompt=prompt, saved_at=datetime.now(timezone.utc))
        _write_atomic(path, entry.model_dump_json(indent=2))

    def save(self, prompt: Prompt) -> Prompt:
        """Make `prompt` the current file content (and a recorded version)."""
        data = prompt.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data = {"name": prompt.name, **data}
        _write_atomic(self.folder / f"{prompt.name}.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        self.record(prompt)
        return prompt


def _read(path: Path) -> Prompt:
    """A prompt file, read within the graph files' limits (size, nesting, aliases)."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: a prompt file may hold at most {MAX_FILE_BYTES:,} bytes; "
                          f"keep examples and data in separate files")
    try:
        data, _ = parse_yaml(read_text(path, "prompt file", "save it as UTF-8 text"), str(path))
    except GraphSpecError as exc:
        problem = exc.problems[0]
        where = f"{path}:{problem.line}" if problem.line else str(path)
        hint = f"\n    fix: {problem.hint}" if problem.hint else ""
        raise ConfigError(f"{where}: malformed YAML: {problem.message}{hint}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a prompt file must be a mapping with at least `template:`")
    data.setdefault("name", path.stem)
    try:
        prompt = Prompt.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: invalid prompt: {details}") from None
    if prompt.name != path.stem:
        raise ConfigError(f"{path}: name {prompt.name!r} differs from the file name; rename one of them")
    return prompt


def _read_version(path: Path) -> PromptVersion:
    text = read_text(path, "prompt history entry", "restore it from version control or delete it")
    try:
        return PromptVersion.model_validate_json(text)
    except ValidationError as exc:
        raise ConfigError(f"{path}: not a prompt history entry ({str(exc).splitlines()[0]}); "
                          f"restore it from version control or delete it") from None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
