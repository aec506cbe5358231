"""Node kind `tool_agent`: model -> tools -> model ... until the model answers in text.

Tool errors, unknown tools, calls that did not parse, invalid arguments and timeouts go back to the model as
ToolMessages with status "error"; they never end the run. Every model and tool call is
a LangChain run, so each one is a span in the trace. With an `answer` template, a single
successful tool call ends the run: the answer is the template over its arguments and result.

With `approve`, the graph pauses (LangGraph's `interrupt()`) before each round of tool calls,
showing the pending calls; it continues when resumed with a `ToolDecision` (approve, edit
the arguments, or reject). Model and tool calls then run as LangGraph tasks, so their
results are checkpointed and a resume, even in another process, does not call them again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from string import Formatter
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, InvalidToolCall, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.config import get_config
from langgraph.func import task
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agentkit.engine.context import CheckContext, NodeContext
from agentkit.engine.refs import Channel, Resource, ToolName
from agentkit.engine.registry import NodeFunction, node_kind
from agentkit.engine.state import channels_of
from agentkit.errors import RunError
from agentkit.nodes.common import template_problems
from agentkit.nodes.models import adapter_problems, with_adapter
from agentkit.prompts import Prompt
from agentkit.text import template_fields, text_of

AUTO = "auto"
TOOL_ADAPTER = "tool_calls"
DEFAULT_SYSTEM = (
    "You are a helpful assistant. When a question needs live data or a computation, call a tool; "
    "otherwise answer directly and briefly."
)


class ToolAgentParams(BaseModel):
    """Parameters of a `tool_agent` node."""

    model_config = ConfigDict(extra="forbid")

    llm: Resource("chat_model") = Field(description="chat model resource (must support bind_tools)")
    tools: list[ToolName] = Field(min_length=1, description="tools the model may call")
    adapter: str | None = Field(AUTO, description=f"adapter of the chat model that calls tools; {AUTO}: the "
                                f"model's or the shipped {TOOL_ADAPTER!r} adapter when present and built for "
                                f"this base, else the base; null or base: the base")
    messages: Channel = Field(description="conversation channel (type messages); the agent appends to it")
    system: str | None = Field(DEFAULT_SYSTEM, description="system message template, {channel} placeholders")
    template: str | None = Field(None, description="user message template, {channel} placeholders, added to "
                                 "the conversation before the first model call")
    output: Channel | None = Field(None, description="channel for the final answer text")
    tool_choice: str = Field("auto", description="auto, required, none, or a tool name (first turn only)")
    max_steps: int = Field(4, ge=1, description="model calls before the agent stops")
    tool_timeout: float = Field(20.0, gt=0, description="seconds a tool call may take")
    answer: str | None = Field(None, description="answer template over a single successful tool call's "
                               "arguments and {result}, used instead of one more model call")
    approve: bool = Field(False, description="pause before running tool calls until a person approves, edits or "
                          "rejects them (needs a checkpointer: agentkit run and serve have one)")


class EditedCall(BaseModel):
    """New arguments for one pending call (by position, or by name when several differ)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    args: dict[str, Any]


class ToolDecision(BaseModel):
    """How a person answers pending tool calls: run them, run them with other arguments
    (`args` for a single call, `calls` for several), or do not run them (`reason` goes to
    the model)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "edit", "reject"]
    args: dict[str, Any] | None = None
    calls: list[EditedCall] | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _edit_says_how(self) -> ToolDecision:
        if self.action == "edit" and (self.args is None) == (self.calls is None):
            raise ValueError("an edit gives either `args` (the one pending call's new arguments) or `calls` "
                             "([{name, args}] per pending call)")
        if self.action != "edit" and (self.args is not None or self.calls is not None):
            raise ValueError(f"`args` and `calls` go with action edit, not {self.action}")
        return self

    def apply(self, calls: list[ToolCall]) -> tuple[list[ToolCall], list[ToolMessage]]:
        """The calls to run, and the results of calls that are not run (rejected)."""
        if self.action == "reject":
            why = f": {self.reason}" if self.reason else ""
            return [], [_error(call, f"the user rejected this call{why}; do not call it again, answer without it")
                        for call in calls]
        if self.action == "approve":
            return calls, []
        edits = [EditedCall(args=self.args or {})] if self.args is not None else list(self.calls or [])
        if len(edits) != len(calls):
            raise RunError(f"the edit gives {len(edits)} call(s), but {len(calls)} are pending; give one "
                           f"{{name, args}} per pending call")
        return [ToolCall(name=edit.name or call["name"], args=edit.args, id=call["id"], type="tool_call")
                for edit, call in zip(edits, calls, strict=True)], []


def _check(params: ToolAgentParams, ctx: CheckContext) -> Any:
    yield from adapter_problems(params.llm, params.adapter, ctx, extra=[AUTO])
    channels = channels_of(ctx.spec)
    if params.messages in channels and channels[params.messages].type != "messages":
        yield ("messages",), f"channel {params.messages!r} must have type messages", "declare it as `messages`"
    yield from template_problems({"system": params.system, "template": params.template}, set(channels))
    if params.answer is not None:
        yield from _answer_problems(params, ctx)


def _answer_problems(params: ToolAgentParams, ctx: CheckContext) -> Any:
    try:
        fields = [field for _, field, _, _ in Formatter().parse(params.answer or "") if field is not None]
    except ValueError as exc:
        yield ("answer",), f"malformed answer template: {exc}", "escape literal braces as {{ and }}"
        return
    tools = ctx.registry.tools(ctx.workspace)
    allowed = {"result"}.union(*(tools[name].args for name in params.tools if name in tools))
    for name in fields:
        if name not in allowed:
            yield ("answer",), f"answer placeholder {{{name}}} is neither {{result}} nor an argument of " \
                f"{', '.join(params.tools)}", f"use one of: {', '.join(sorted(allowed))}"


@node_kind("tool_agent", check=_check)
def tool_agent_node(params: ToolAgentParams, ctx: NodeContext) -> NodeFunction:
    """Let the model call tools in a loop, feeding results back, until it answers."""
    tools = {name: ctx.tools[name] for name in params.tools}
    model = _tool_model(ctx.resource(params.llm), params.adapter)
    first = model.bind_tools(list(tools.values()), tool_choice=params.tool_choice)
    later = model.bind_tools(list(tools.values()), tool_choice="auto")
    system = Prompt(name=ctx.node, system=params.system)
    variables = [*system.variables(), *template_fields(params.template or "")]

    def ask_model(step: int, messages: list[BaseMessage]) -> AIMessage:
        return (first if step == 0 else later).invoke(messages, get_config())

    def run_tools(calls: list[ToolCall]) -> list[ToolMessage]:
        return _call_tools(calls, tools, params.tool_timeout, get_config())

    durable_model, durable_tools = task(ask_model, name="model"), task(run_tools, name="tools")

    def run(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        values = {name: text_of(state.get(name)) for name in variables}
        history: list[BaseMessage] = list(state.get(params.messages) or [])
        added: list[BaseMessage] = []
        if params.template is not None:
            added.append(HumanMessage(params.template.format_map(values)))
        for step in range(params.max_steps):
            messages = system.to_messages(values, history + added)
            reply = durable_model(step, messages).result() if params.approve else \
                (first if step == 0 else later).invoke(messages, config)
            added.append(reply)
            if not reply.tool_calls:
                if not reply.invalid_tool_calls:
                    break
                added += [_unparsed(call) for call in reply.invalid_tool_calls]
                continue
            calls, results = reply.tool_calls, []
            if params.approve:
                calls, results = _decision(interrupt(_pending(ctx.node, calls))).apply(calls)
            if calls:
                results += durable_tools(calls).result() if params.approve else \
                    _call_tools(calls, tools, params.tool_timeout, config)
            added += results
            if params.answer is not None and len(calls) == len(results) == 1 and results[0].status != "error":
                added.append(AIMessage(params.answer.format_map(_Filled(calls[0]["args"], result=results[0].text))))
                break
        else:
            added.append(AIMessage(f"I stopped after {params.max_steps} model calls without a final answer."))
        update: dict[str, Any] = {params.messages: added}
        if params.output:
            update[params.output] = added[-1].text
        return update

    return run


def _pending(node: str, calls: list[ToolCall]) -> dict[str, Any]:
    """What an approval interrupt shows: the node and its pending calls."""
    return {"node": node, "tool_calls": [{"name": c["name"], "args": c["args"], "id": c["id"]} for c in calls],
            "resume": "approve, edit ({args} or {calls: [{name, args}]}) or reject ({reason})"}


def _decision(value: Any) -> ToolDecision:
    """The resume value as a decision (a bare "approve"/"reject" string is accepted too)."""
    if isinstance(value, str):
        value = {"action": value}
    try:
        return ToolDecision.model_validate(value)
    except ValidationError as exc:
        raise RunError(f"the resume value {value!r} is not a tool decision: {exc.errors()[0]['msg']}; resume with "
                       f'{{"action": "approve"}}, {{"action": "edit", "args": {{...}}}} or '
                       f'{{"action": "reject", "reason": "..."}}') from None


def _tool_model(model: Any, adapter: str | None) -> Any:
    """The model with the chosen adapter; `auto` takes the `tool_calls` adapter when it fits."""
    if adapter != AUTO:
        return with_adapter(model, adapter)
    pick = getattr(model, "with_adapter_if_fits", None)
    return model if pick is None else pick(TOOL_ADAPTER)


class _Filled(dict[str, Any]):
    """A tool call's arguments for the answer template; an optional one left out is blank."""

    def __missing__(self, key: str) -> str:
        return ""


def _call_tools(calls: list[ToolCall], tools: dict[str, BaseTool], timeout: float,
                config: RunnableConfig) -> list[ToolMessage]:
    """Run the calls in parallel; every outcome, failures included, is a ToolMessage."""
    pool = ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="agentkit-tool")
    futures = [pool.submit(_call_one, call, tools, config) for call in calls]
    results = []
    for call, future in zip(calls, futures):
        try:
            results.append(future.result(timeout=timeout))
        except FutureTimeout:
            results.append(_error(call, f"tool {call['name']!r} did not answer within {timeout:g} s; "
                                        f"try again later or answer without it"))
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def _call_one(call: ToolCall, tools: dict[str, BaseTool], config: RunnableConfig) -> ToolMessage:
    tool = tools.get(call["name"])
    if tool is None:
        return _error(call, f"there is no tool {call['name']!r}; available tools: {', '.join(tools)}")
    try:
        result = tool.invoke({**call, "type": "tool_call"}, config)
    except Exception as exc:  # a failing tool is news for the model, not a crash
        return _error(call, f"tool {call['name']!r} failed: {type(exc).__name__}: {exc}")
    if isinstance(result, ToolMessage):
        return result
    return ToolMessage(str(result), tool_call_id=call["id"] or "", name=call["name"])


def _unparsed(call: InvalidToolCall) -> ToolMessage:
    name = call.get("name") or "tool"
    return ToolMessage(f"your call to {name!r} did not parse ({call.get('error') or call.get('args')}); "
                       f"call it again with arguments that fit its schema",
                       tool_call_id=call.get("id") or "", name=name, status="error")


def _error(call: ToolCall, message: str) -> ToolMessage:
    return ToolMessage(message, tool_call_id=call["id"] or "", name=call["name"], status="error")
