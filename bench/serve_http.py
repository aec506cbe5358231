"""`agentkit serve` under load, side by side in one run:

- one streaming client alone vs 8 concurrent streaming clients on the same server:
  aggregate generated tokens/s (target: 8 clients >= 2.5x one) and p50 time to first
  token at 8 (target <= 1 s);
- the server's overhead for one client against the same call in process (target <= 5%);
- with `--llama-server PATH`, llama.cpp's own server under the same clients (its
  continuous batching with `--parallel 8`), as the peer.

Clients are the official `openai` client (one thread each), greedy, `max_tokens` 64.

Run: .venv/bin/python bench/serve_http.py [--threads N] [--quant q4_1 f16] [--llama-server PATH]   (~4 min a level)"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import openai
from rich.console import Console
from rich.table import Table

from generation_prompts import NEW_TOKENS, PROMPTS  # bench/ is on the path of a script run from it

from agentkit.models.loading import default_gguf_path
from agentkit.server.process import launch


def stream_once(client: openai.OpenAI, model: str, prompt: str) -> tuple[float, float, int]:
    """(time to first token, total seconds, completion tokens) of one streamed completion."""
    started, first = time.perf_counter(), None
    chunks = client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}],
                                            max_tokens=NEW_TOKENS, temperature=0, stream=True,
                                            stream_options={"include_usage": True})
    tokens = 0
    for chunk in chunks:
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.perf_counter()
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
    end = time.perf_counter()
    return (first or end) - started, end - started, tokens


def load(client: openai.OpenAI, model: str, clients: int, rounds: int) -> dict[str, float]:
    """`clients` threads, each streaming `rounds` prompts one after another."""
    results: list[tuple[float, float, int]] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        for round_ in range(rounds):
            outcome = stream_once(client, model, PROMPTS[(index + round_) % len(PROMPTS)])
            with lock:
                results.append(outcome)

    stream_once(client, model, PROMPTS[0])  # warm-up
    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"tokens_per_s": sum(r[2] for r in results) / seconds,
            "ttft_p50": statistics.median(r[0] for r in results),
            "latency_p50": statistics.median(r[1] for r in results)}


def overhead(url: str, model: str, repeats: int, quant: str | None) -> tuple[float, float]:
    """Median latency of the same completion in process and over HTTP (non-streamed)."""
    from agentkit.models import LocalChatModel

    chat = LocalChatModel(max_tokens=NEW_TOKENS, quant=quant)
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x")
    chat.invoke(PROMPTS[0])
    local, served = [], []
    for _ in range(repeats):  # interleaved, so that load drifts hit both alike
        began = time.perf_counter()
        chat.invoke(PROMPTS[1])
        local.append(time.perf_counter() - began)
        began = time.perf_counter()
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": PROMPTS[1]}],
                                       max_tokens=NEW_TOKENS, temperature=0)
        served.append(time.perf_counter() - began)
    return statistics.median(local), statistics.median(served)


def llama_server(binary: str, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([binary, "-m", str(default_gguf_path()), "--port", str(port), "-t", str(threads),
                                "-tb", str(threads), "--parallel", "8", "-c", str(8 * 2048), "--no-webui", "--jinja"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("llama-server did not start")


def measure_server(level: str | None, rounds: int) -> dict[str, Any]:
    """One `agentkit serve` at `level`: one client, 8 clients, and its overhead against in process."""
    workspace = Path(tempfile.mkdtemp(prefix="agentkit-bench-"))
    quant = ["--quant", level] if level else []
    server = launch(workspace, "--no-trace", "--parallel", "8", "--no-log-calls", *quant, log=workspace / "serve.log")
    try:
        client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", max_retries=0)
        one = load(client, "smollm2-135m", 1, rounds * 2)
        eight = load(client, "smollm2-135m", 8, rounds)
        local, served = overhead(server.url, "smollm2-135m", 5, level)
    finally:
        server.stop()
    return {"name": f"agentkit serve {level or 'q4_1 (shipped)'}", "one": one, "eight": eight,
            "overhead": f"{(served / local - 1) * 100:+.1f}% ({local:.3f} s in process, {served:.3f} s over HTTP)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: agentkit's choice)")
    parser.add_argument("--rounds", type=int, default=2, help="prompts each client streams")
    parser.add_argument("--quant", nargs="*", default=[None],
                        help="GGUF levels the server runs, one row each (agentkit serve --quant; default: the shipped file)")
    parser.add_argument("--llama-server", help="a llama-server binary to compare with (optional)")
    args = parser.parse_args()
    if args.threads:
        os.environ["AGENTKIT_LLAMA_THREADS"] = str(args.threads)
    from agentkit.threads import llama_threads

    threads = args.threads or llama_threads()
    rows = [measure_server(level, args.rounds) for level in args.quant]
    if args.llama_server:
        process, url = llama_server(args.llama_server, threads)
        try:
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
            rows.append({"name": "llama.cpp llama-server q4_1", "one": load(client, "smollm2", 1, args.rounds * 2),
                         "eight": load(client, "smollm2", 8, args.rounds), "overhead": ""})
        finally:
            process.terminate()
            process.wait(30)
    table = Table("server", "1 client tok/s", "8 clients tok/s", "8 / 1 (target >= 2.5x)", "TTFT p50 (1)",
                  "TTFT p50 (8) (target <= 1 s)", "overhead vs in process (target <= 5%)",
                  title=f"streaming completions, {NEW_TOKENS} tokens, {threads} llama.cpp thread(s), "
                        f"load {os.getloadavg()[0]:.1f}")
    for row in rows:
        alone, together = row["one"], row["eight"]
        table.add_row(row["name"], f"{alone['tokens_per_s']:.1f}", f"{together['tokens_per_s']:.1f}",
                      f"{together['tokens_per_s'] / alone['tokens_per_s']:.2f}x", f"{alone['ttft_p50']:.3f} s",
                      f"{together['ttft_p50']:.3f} s", row["overhead"])
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
