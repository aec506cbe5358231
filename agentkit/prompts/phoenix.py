"""Publish prompt versions to Phoenix's prompt management; the files stay the source of truth.

Each version (the recorded history, then the file's current content) becomes a version of
the Phoenix prompt of the same name, as chat messages in F_STRING format, tagged with its
content hash and its label. A version whose hash tag Phoenix already has is skipped, so
pushing again only adds what is new; a pushed version is kept in the local history."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.prompts.models import Prompt
from agentkit.prompts.store import PromptStore

if TYPE_CHECKING:
    from phoenix.client.types.prompts import PromptVersion as PhoenixVersion

    from agentkit.observability.client import PhoenixAPI

PHOENIX_NAME = r"[a-z0-9]([_a-z0-9-]*[a-z0-9])?"
MODEL_NAME = "SmolLM2-135M-Instruct"


class Pushed(BaseModel):
    """One prompt version and what pushing it did."""

    name: str
    version: str
    label: str | None
    tags: list[str]
    created: bool  # False: Phoenix had this version already


def label_tag(label: str | None) -> str | None:
    """The label as a Phoenix tag name (lowercase letters, digits, `_`, `-`), if it has any."""
    tag = re.sub(r"[^a-z0-9_-]+", "-", (label or "").lower()).strip("_-")
    return tag or None


def to_phoenix(prompt: Prompt, model_name: str = MODEL_NAME) -> PhoenixVersion:
    """The prompt as a Phoenix chat prompt version: formatting it with Phoenix gives the
    same messages as :meth:`Prompt.to_messages` (few-shot text has its braces escaped)."""
    from phoenix.client.types.prompts import PromptVersion as PhoenixVersion

    def literal(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")

    messages: list[dict[str, str]] = []
    if prompt.system:
        messages.append({"role": "system", "content": prompt.system})
    for example in prompt.examples:
        messages += [{"role": "user", "content": literal(example.user)},
                     {"role": "assistant", "content": literal(example.assistant)}]
    if prompt.template is not None:
        messages.append({"role": "user", "content": prompt.template})
    params: dict[str, Any] = {"model": model_name, "messages": messages}
    if prompt.output_schema is not None:
        params["response_format"] = {"type": "json_schema",
                                     "json_schema": {"name": prompt.name, "schema": prompt.output_schema}}
    described = f"agentkit {prompt.ref}" + (f" ({prompt.label})" if prompt.label else "")
    return PhoenixVersion.from_openai(params, template_format="F_STRING", description=described)  # type: ignore[arg-type]


def versions_to_push(store: PromptStore, name: str) -> list[Prompt]:
    """The recorded versions, oldest first, then the current file content (read only)."""
    current = store.current(name, record=False)
    older = [v.prompt for v in store.versions(name) if v.prompt.version != current.version]
    return [*older, current]


def plan_push(store: PromptStore, names: list[str] | None = None) -> list[Prompt]:
    """Every version of `names` (default: all prompts) to push, read and checked first so
    that bad input uploads nothing."""
    names = names or store.names()
    if not names:
        raise ConfigError(f"no prompts to push: {store.folder} has no NAME.yaml files")
    plan = [prompt for name in names for prompt in versions_to_push(store, name)]
    if bad := [name for name in names if not re.fullmatch(PHOENIX_NAME, name)]:
        raise ConfigError(f"Phoenix prompt names are lowercase letters, digits, _ and -, starting and ending "
                          f"with a letter or digit; rename {', '.join(f'prompts/{n}.yaml' for n in bad)}")
    return plan


def push_prompts(api: PhoenixAPI, store: PromptStore, prompts: list[Prompt],
                 model_name: str = MODEL_NAME) -> list[Pushed]:
    """Push each prompt version in order (see :func:`plan_push`); those present are skipped.
    Each version, once in Phoenix, is recorded in the store's history too, so every
    version Phoenix has can still be pinned from the files."""
    pushed = []
    for prompt in prompts:
        pushed.append(_push(api, prompt, model_name))
        store.record(prompt)
    return pushed


def _push(api: PhoenixAPI, prompt: Prompt, model_name: str) -> Pushed:
    tags = [prompt.version, *filter(None, [label_tag(prompt.label)])]
    pushed = Pushed(name=prompt.name, version=prompt.version, label=prompt.label, tags=tags, created=False)
    with api.errors(f"looking up prompt {prompt.ref}"):
        try:
            api.client.prompts.get(prompt_identifier=prompt.name, tag=prompt.version)
            return pushed
        except ValueError:  # the client's "not found"
            pass
    with api.errors(f"creating prompt version {prompt.ref}"):
        created = api.client.prompts.create(
            name=prompt.name, version=to_phoenix(prompt, model_name), prompt_description=prompt.description,
            prompt_metadata={"source": "agentkit", "file": f"prompts/{prompt.name}.yaml"})
        if created.id is None:
            raise ConfigError(f"Phoenix at {api.url} stored {prompt.ref} but returned no version id to tag")
        for tag in tags:
            description = "agentkit content hash" if tag == prompt.version else f"agentkit label {prompt.label!r}"
            api.client.prompts.tags.create(prompt_version_id=created.id, name=tag, description=description)
    return pushed.model_copy(update={"created": True})
