"""`agentkit run` on hostile input: input files and stdin, thread ids, damaged checkpoint
databases, and input longer than the model's context."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Callable

import pytest
from harness import assert_clear_failure, run_cli, tree_digest

from agentkit import run_graph
from agentkit.telemetry.store import TELEMETRY_FILE, read_records

REPO = Path(__file__).resolve().parents[2]
ECHO_TOOL = '''
from langchain_core.tools import tool

@tool
def echo(text: str) -> list:
    """Return the text as a one-item list."""
    return [text]
'''
ECHO_GRAPH = """\
name: echo
input: text
output: seen
state: {text: str, seen: {type: list, reducer: append}}
nodes:
  record: {kind: tool, tool: echo, from_state: {text: text}, output: seen}
edges: [[START, record], [record, END]]
"""


@pytest.fixture
def echo_graph(workspace: Path) -> Path:
    (workspace / "tools").mkdir()
    (workspace / "tools" / "echo_tool.py").write_text(ECHO_TOOL)
    (workspace / "graphs").mkdir()
    path = workspace / "graphs" / "echo.yaml"
    path.write_text(ECHO_GRAPH)
    (workspace / "folder").mkdir()
    (workspace / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (workspace / "empty.txt").write_text("")
    return path


INPUT_CASES = [
    (["-i", "@missing.txt"], None, ["--input @missing.txt: no such file", "'@@...'"]),
    (["-i", "@folder"], None, ["--input @folder: not a file"]),
    (["-i", "@latin1.txt"], None, ["--input @latin1.txt: not UTF-8 text", "iconv"]),
    (["-i", "@empty.txt"], None, ["--input @empty.txt: the file is empty"]),
    (["-i", "@"], None, ["no file name after '@'"]),
    (["-i", "-"], "", ["--input -: stdin was empty"]),
    (["-i", "-"], " \n\t\n", ["--input -: stdin was empty"]),
    (["-i", "hi", "--thread", ""], None, ["thread id '' is empty", "leave --thread out"]),
    (["-i", "hi", "--thread", "   "], None, ["thread id '   ' is empty"]),
    (["-i", "hi", "--thread", " ana"], None, ["thread id ' ana' has spaces around it", "'ana'"]),
]


@pytest.mark.parametrize(("args", "stdin", "fragments"), INPUT_CASES,
                         ids=[" ".join(a) + (f" <{s!r}" if s is not None else "") for a, s, _ in INPUT_CASES])
def test_bad_input_text_or_thread(echo_graph: Path, workspace: Path, args: list[str], stdin: str | None,
                                  fragments: list[str]) -> None:
    before = tree_digest(workspace)
    outcome = run_cli("run", str(echo_graph), "--no-trace", *args, stdin=stdin)
    assert_clear_failure(outcome, 1, *fragments)
    assert tree_digest(workspace) == before


def _thread_then(damage: Callable[[Path], None]) -> Callable[[Path, Path], Path]:
    """Run the graph once on thread `ana` (a real database with a thread), then damage it."""

    def prepare(graph: Path, database: Path) -> Path:
        run_graph(graph, "hello", thread_id="ana", trace=False)
        damage(database)
        return database

    return prepare


def _truncate(size: int) -> Callable[[Path], None]:
    def cut(database: Path) -> None:
        with database.open("r+b") as handle:
            handle.truncate(size)

    return cut


def _random_bytes(database: Path) -> None:
    database.write_bytes(os.urandom(8192))


def _foreign(database: Path) -> None:
    database.unlink()
    with sqlite3.connect(database) as other:
        other.execute("CREATE TABLE invoices (id INTEGER)")
    other.close()


CHECKPOINT_CASES = {
    "truncated to 0 bytes": (_truncate(0), "is empty (0 bytes), but agentkit never leaves it empty"),
    "truncated to 1000 bytes": (_truncate(1000), "is not a readable SQLite database"),
    "random bytes": (_random_bytes, "is not a readable SQLite database (file is not a database)"),
    "another program's database": (_foreign, "is a SQLite database without agentkit's checkpoint tables (it has invoices)"),
}


@pytest.mark.parametrize("case", list(CHECKPOINT_CASES))
def test_damaged_checkpoint_database_is_reported_and_kept(echo_graph: Path, workspace: Path, case: str) -> None:
    damage, what = CHECKPOINT_CASES[case]
    database = workspace / ".agentkit" / "checkpoints.sqlite"
    _thread_then(damage)(echo_graph, database)
    telemetry = workspace / ".agentkit" / TELEMETRY_FILE  # the failed run is recorded there: it grows
    before = tree_digest(workspace)
    outcome = run_cli("run", str(echo_graph), "--no-trace", "-i", "again", "--thread", "ana")
    assert_clear_failure(outcome, 1, f"checkpoint database {database} {what}", f"mv {database} {database}.broken",
                         "the threads in the old one are lost unless you restore it from a backup")
    after = tree_digest(workspace)
    assert after.pop(str(telemetry.relative_to(workspace))) != before.pop(str(telemetry.relative_to(workspace)))
    assert after == before  # never deleted, truncated or re-created
    assert read_records(telemetry)[-1].status == "error"


def test_a_database_moved_aside_starts_afresh(echo_graph: Path, workspace: Path) -> None:
    database = workspace / ".agentkit" / "checkpoints.sqlite"
    _thread_then(_truncate(0))(echo_graph, database)
    assert run_cli("run", str(echo_graph), "--no-trace", "-i", "x", "--thread", "ana").exit_code == 1
    database.rename(database.with_name("checkpoints.sqlite.broken"))
    outcome = run_cli("run", str(echo_graph), "--no-trace", "-i", "again", "--thread", "ana")
    assert outcome.exit_code == 0 and "['again']" in outcome.output, outcome.output


@pytest.mark.model
def test_input_longer_than_the_context_says_by_how_much(workspace: Path) -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    big = workspace / "big.txt"
    big.write_text((text * (120_000 // len(text) + 1))[:120_000], encoding="utf-8")
    (workspace / "prompts").mkdir()
    shutil.copy(REPO / "prompts" / "chat_assistant.yaml", workspace / "prompts")  # chat.yaml's prompt
    outcome = run_cli("run", str(REPO / "graphs" / "chat.yaml"), "--no-trace", "-i", f"@{big}", "--thread", "t")
    assert_clear_failure(outcome, 1, "node 'reply': the prompt does not fit the context of SmolLM2-135M",
                         "> 8,192 tokens (over by", "Shorten the input")
    # the thread keeps the long turn (no data lost); chat.yaml's history policy leaves it out next time
    outcome = run_cli("run", str(REPO / "graphs" / "chat.yaml"), "--no-trace", "-i", "Say hello.", "--thread", "t")
    assert outcome.exit_code == 0 and outcome.output.strip(), outcome.output


def test_history_policy_without_a_conversation_is_a_spec_error(workspace: Path) -> None:
    (workspace / "graphs").mkdir()
    graph = workspace / "graphs" / "g.yaml"
    graph.write_text("name: g\nstate: {q: str, a: str}\nresources: {llm: {kind: chat_model}}\nnodes:\n"
                     "  r: {kind: llm, llm: llm, template: '{q}', output: a, history: {max_tokens: 100}}\n"
                     "edges: [[START, r], [r, END]]\n")
    outcome = run_cli("run", str(graph), "--no-trace", "-i", "hi")
    assert_clear_failure(outcome, 2, "g.yaml:5", "`history:` trims the conversation, but this node has no "
                         "`messages:` channel", "add `messages: <channel>` or drop `history:`")


def test_ask_reads_its_question_the_same_way(workspace: Path) -> None:
    before = tree_digest(workspace)
    outcome = run_cli("ask", "@missing.txt", "--no-trace", "--graph", str(REPO / "graphs" / "tool_agent.yaml"))
    assert_clear_failure(outcome, 1, "QUESTION @missing.txt: no such file", "'@@...'")
    assert tree_digest(workspace) == before
