"""Run BFCL items through a chat model with bound tools and score each reply."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from agentkit.errors import ConfigError
from agentkit.evals.bfcl.matching import check_calls
from agentkit.evals.bfcl.records import BfclItem, Message
from agentkit.evals.bfcl.results import ItemResult
from agentkit.evals.bfcl.schema import ToolSet, tool_set

_MESSAGE_TYPES: dict[str, type[BaseMessage]] = {
    "system": SystemMessage, "user": HumanMessage, "assistant": AIMessage,
}


def run_bfcl(
    model: BaseChatModel, items: Sequence[BfclItem], *, constrain: bool = True,
) -> Iterator[ItemResult]:
    """Score each item in turn (a generator, so callers can show progress).

    The item's functions are bound with `tool_choice="auto"` (the model may answer
    without a call, as irrelevance needs), parallel calls allowed, and
    `strict=constrain` (grammar-constrained decoding, or free text parsed afterwards).
    """
    for item in items:
        yield run_item(model, item, constrain=constrain)


def run_item(model: BaseChatModel, item: BfclItem, *, constrain: bool = True) -> ItemResult:
    """Ask the model one item and judge its reply (a failing call is recorded, not raised)."""
    tools = tool_set(item)
    start = time.perf_counter()
    try:
        bound = model.bind_tools(
            tools.tools, tool_choice="auto", parallel_tool_calls=True, strict=constrain
        ) if tools.tools else model  # an item without functions is asked as plain chat
        reply = bound.invoke([_message(m) for m in item.messages])
    except NotImplementedError:
        raise ConfigError(
            f"the chat model {model_label(model)} does not support tool calling "
            "(bind_tools); use the local model or an OpenAI-compatible provider"
        ) from None
    except Exception as exc:  # one bad item (e.g. a schema) must not end a long run
        return ItemResult(
            id=item.id, category=item.category, calls=[], valid=False, correct=False,
            error=f"model error: {type(exc).__name__}: {exc}",
            latency_s=time.perf_counter() - start,
        )
    latency = time.perf_counter() - start
    if not isinstance(reply, AIMessage):
        raise ConfigError(f"the chat model returned {type(reply).__name__}, not an AIMessage")
    return judge(item, tools, reply, latency)


def judge(item: BfclItem, tools: ToolSet, reply: AIMessage, latency_s: float) -> ItemResult:
    """Validity (every call parsed and fits its schema) and BFCL correctness of a reply.

    A call that did not parse makes the reply wrong, except for `no_call` items: as in
    BFCL, output that is not a call counts as no call.
    """
    calls = [tools.to_call(call["name"], call["args"]) for call in reply.tool_calls]
    unparsed = [call.get("args") or call.get("name") or "" for call in reply.invalid_tool_calls]
    problems = [
        f"call did not parse: {call.get('error') or call.get('args')!s}"
        for call in reply.invalid_tool_calls
    ]
    problems += [
        error for call in reply.tool_calls
        if (error := tools.schema_error(call["name"], call["args"]))
    ]
    wrong = check_calls(item, calls)
    if wrong is None and unparsed and item.expect != "no_call":
        wrong = f"{len(unparsed)} call(s) did not parse"
    errors = [*problems, *([wrong] if wrong else [])]
    return ItemResult(
        id=item.id,
        category=item.category,
        calls=calls,
        invalid_calls=[str(text) for text in unparsed],
        text=str(reply.text),
        valid=not problems,
        correct=wrong is None,
        error="; ".join(dict.fromkeys(errors)) or None,
        latency_s=latency_s,
    )


def model_label(model: BaseChatModel) -> str:
    """A readable model name for reports."""
    params = model._identifying_params
    name = str(params.get("model_name") or getattr(model, "model_name", None) or type(model).__name__)
    how = [str(params[key]) for key in ("engine", "quant") if params.get(key)]
    if params.get("adapter") not in (None, "base"):
        how.append(f"+{params['adapter']}")
    return f"{name} ({' '.join(how)})" if how else name


def _message(message: Message) -> BaseMessage:
    return _MESSAGE_TYPES[message.role](content=message.content)

