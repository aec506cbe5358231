"""The README's main job: start Phoenix, index the project's docs, run the predefined
graphs, show where the traces are."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from agentkit.cli.ask import call_text
from agentkit.cli.run import show_event
from agentkit.cli.stats import stats_table
from agentkit.engine.runner import RunResult, run_graph
from agentkit.graphrag.lexical import LexicalExtractor
from agentkit.graphrag.workspace import update_store_graph
from agentkit.observability.phoenix import PhoenixConfig, default_working_dir, project_url, start_detached
from agentkit.rag.config import StoreConfig
from agentkit.rag.grounding import QUOTE_PREFIX
from agentkit.rag.open import open_index
from agentkit.server.process import launch
from agentkit.telemetry.stats import summarize
from agentkit.telemetry.store import TELEMETRY_FILE, read_records
from agentkit.workspace import find_workspace, state_dir

console = Console()
ROUTER_QUESTIONS = ("What is 12 times 7?", "What is the capital of France?")
TOOL_QUESTIONS = ("What is 12 times 7?", "Convert 5 km to miles.")
CHAT_TURNS = ("Hi! My name is Ana and I love hiking.", "What is my name?")
RAG_QUESTIONS = ("Where does agentkit store thread checkpoints?", "Who won the 2022 World Cup?")
MULTIHOP_CORPUS = Path("evals") / "data" / "multihop_fictional" / "documents.jsonl"
MULTIHOP_QUESTION = "Who directed The Glass Orchard, and where was the director born?"
RUDE_MESSAGE = "why the hell is the server down again? fix it"
SERVE_QUESTIONS = ("Name a primary colour.", "What is 12 times 7?")
CALCULATOR_TOOL = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}


def run_demo(workspace: Path | None = None) -> None:
    """Start a local Phoenix (detached), run router_demo, tool_agent with the tool_calls
    adapter, and a two-turn chat, index docs/ and ask self_rag about it, build the store's
    knowledge graph and answer a two-hop question with graph_rag, rewrite a rude message
    with the polite_tone adapter (scored by the tone evaluator), serve the model over HTTP
    (curl, the openai client, then the calls' telemetry), print links."""
    workspace = workspace or find_workspace()
    graphs = workspace / "graphs"
    url, started = start_detached(PhoenixConfig(working_dir=default_working_dir(workspace)))
    console.print(f"Phoenix {'started' if started else 'already running'} at {url}")

    for question in ROUTER_QUESTIONS:
        console.rule(f"router_demo: {question}")
        result = run_graph(graphs / "router_demo.yaml", question, on_event=show_event)
        console.print(Panel(escape(str(result.answer)), title=f"answer (route: {result.state.get('route')})"))

    for question in TOOL_QUESTIONS:
        console.rule(f"tool_agent (tool_calls adapter): {question}")
        console.print(_tool_table(run_graph(graphs / "tool_agent.yaml", question)))

    thread = None
    for turn in CHAT_TURNS:
        console.rule(f"chat: {turn}")
        result = run_graph(graphs / "chat.yaml", turn, thread_id=thread)
        thread = result.thread_id
        console.print(Panel(escape(str(result.answer)), title=f"reply (thread {thread})"))

    console.rule(f"index docs/ and {MULTIHOP_CORPUS} into the store `docs`, build its knowledge graph")
    index = open_index(StoreConfig(name="docs"), workspace)
    console.print(index.index([workspace / "docs", workspace / MULTIHOP_CORPUS], workspace).summary(),
                  highlight=False)
    index.store.close()
    console.print(update_store_graph(StoreConfig(name="docs"), workspace, LexicalExtractor()).summary(),
                  highlight=False)
    for question in RAG_QUESTIONS:
        console.rule(f"self_rag: {question}")
        result = run_graph(graphs / "self_rag.yaml", question)
        console.print(Panel(escape(str(result.answer)), title=_rag_title(result)))

    console.rule(f"graph_rag: {MULTIHOP_QUESTION}")
    result = run_graph(graphs / "graph_rag.yaml", MULTIHOP_QUESTION)
    console.print(_passages_table(result))
    console.print(Panel(escape(str(result.answer)), title=_rag_title(result)))

    console.rule(f"tone (polite_tone adapter): {RUDE_MESSAGE}")
    console.print(_tone_table(run_graph(graphs / "tone.yaml", RUDE_MESSAGE)))

    serve_demo(workspace)

    console.rule("traces")
    for graph in ("router_demo", "tool_agent", "chat", "self_rag", "graph_rag", "tone", "agentkit-serve"):
        console.print(f"{graph}: {project_url(url, graph)}")
    console.print("Stop Phoenix with `agentkit phoenix --stop`.")


def serve_demo(workspace: Path) -> dict[str, Any]:
    """Start `agentkit serve`, call it with curl and with the openai client, stop it
    (SIGTERM: it drains), and print what the calls took and cost (`agentkit stats`)."""
    import openai

    console.rule("agentkit serve: one curl call, one openai-client call, then agentkit stats")
    since = time.time()
    server = launch(workspace, log=state_dir(workspace) / "serve.log")
    console.print(f"agentkit serve is up at {server.url} (its log: {server.log})", highlight=False)
    try:
        body = json.dumps({"model": "smollm2-135m", "max_tokens": 24, "messages": [
            {"role": "user", "content": SERVE_QUESTIONS[0]}]})
        command = ["curl", "-s", f"{server.url}/v1/chat/completions", "-H", "content-type: application/json",
                   "-d", body]
        console.print("$ " + " ".join(shlex.quote(part) for part in command), highlight=False, markup=False)
        if shutil.which("curl"):
            said = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout)
        else:  # the same request without curl
            said = httpx.post(command[2], content=body, headers={"content-type": "application/json"},
                              timeout=300).json()
        console.print(Panel(escape(said["choices"][0]["message"]["content"]), title="curl: the reply"))
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-needed")
        reply = client.chat.completions.create(model="smollm2-135m:tool_calls", tools=[CALCULATOR_TOOL],
                                               messages=[{"role": "user", "content": SERVE_QUESTIONS[1]}])
        calls = [f"{c.function.name}({c.function.arguments})" for c in reply.choices[0].message.tool_calls or []]
        console.print(Panel(escape(", ".join(calls) or str(reply.choices[0].message.content)),
                            title="openai client, model smollm2-135m:tool_calls: its tool call"))
    finally:
        server.stop()
    stats = summarize(read_records(state_dir(workspace) / TELEMETRY_FILE, since=since), "model")
    console.print(stats_table(stats, "agentkit stats --by model (the calls above, incl. the demo's graph runs)"))
    return {"curl": said, "tool_calls": calls, "stats": stats}


def _rag_title(result: RunResult) -> str:
    """The groundedness of the model's draft, and whether a quote replaced it."""
    grounding = result.state.get("grounding", 0)
    if str(result.answer).startswith(QUOTE_PREFIX):
        return f"answer (the draft's grounding {grounding:.2f} was too low: a quote instead)"
    return f"answer (grounding {grounding:.2f})"


def _passages_table(result: RunResult) -> Table:
    """The passages graph search found (the bridge document comes through its entity), cited by chunk id."""
    table = Table("rank", "document", "chunk", "passage")
    for rank, document in enumerate(result.state.get("documents") or [], start=1):
        meta = document.metadata
        table.add_row(str(rank), escape(str(meta.get("title", ""))), str(meta.get("id", ""))[:8],
                      escape(document.page_content[:90]) + ("…" if len(document.page_content) > 90 else ""))
    return table


def _tool_table(result: RunResult) -> Table:
    """The tool calls the model made, what the tools returned, and the final answer."""
    table = Table("tool call", "result", "answer")
    messages = result.state.get("messages", [])
    results = {m.tool_call_id: m.text for m in messages if m.type == "tool"}
    calls = [c for m in messages for c in getattr(m, "tool_calls", None) or []]
    for n, call in enumerate(calls):
        table.add_row(escape(call_text(call)), escape(results.get(call["id"], "-")),
                      escape(str(result.answer)) if n == len(calls) - 1 else "")
    if not calls:
        table.add_row("-", "-", escape(str(result.answer)))
    return table


def _tone_table(result: RunResult) -> Table:
    """The rewrite with the tone evaluator's scores (the graph's `check_tone` nodes)."""
    table = Table("rewrite", "style", "meaning", "fluency", "joint", "check")
    scores = result.state.get("tone") or {}
    figures = [f"{scores[k]:.2f}" if k in scores else "-" for k in ("style", "meaning", "fluency", "joint")]
    verdict = "failed: " + ", ".join(scores["failed"]) if scores.get("failed") else "passed"
    table.add_row(escape(str(result.answer)), *figures, verdict)
    return table


def main() -> None:
    """`python -m agentkit.cli.demo`."""
    run_demo()


if __name__ == "__main__":
    main()
