"""Local generation speed, side by side in one run: agentkit's llama.cpp engine (continuous
batching in process) at each GGUF level, llama-cpp-python's own `Llama` (the same library
one sequence at a time: the floor of the engine's Python loop), transformers' `generate()`
in fp32 (the old path), and optionally llama.cpp's own server (`--llama-server PATH`, a
binary built from llama.cpp's source; driven over HTTP with the same prompts).

Each row runs in a fresh process so that its thread count is its own. Greedy, 64 new
tokens per prompt, 8 prompts; "batch 8" sends the 8 prompts at once.

Run: .venv/bin/python bench/serve_engine.py [--threads 1 2] [--levels q4_1 q8_0 f16]
     [--llama-server /path/to/llama-server]     (about 5-10 minutes on 2 cores)"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from generation_prompts import NEW_TOKENS, PROMPTS  # bench/ is on the path of a script run from it


def _prompt_ids(chat: Any) -> list[list[int]]:
    from langchain_core.messages import HumanMessage

    return [chat.prompt_ids([HumanMessage(p)]) for p in PROMPTS]


def measure_agentkit(level: str | None, batch: int) -> dict[str, float]:
    from agentkit.models import LocalChatModel

    chat = LocalChatModel(quant=level, max_tokens=NEW_TOKENS)
    chat.invoke("hi", max_tokens=2)  # load and warm up
    started, tokens = time.perf_counter(), 0
    if batch == 1:
        for prompt in PROMPTS:
            tokens += chat.invoke(prompt, max_tokens=NEW_TOKENS).usage_metadata["output_tokens"]
    else:
        tokens = sum(r.usage_metadata["output_tokens"] for r in chat.generate_batch(PROMPTS, max_tokens=NEW_TOKENS))
    return {"tokens_per_s": tokens / (time.perf_counter() - started), "tokens": tokens}


def measure_llama_cpp_python(threads: int) -> dict[str, float]:
    import llama_cpp

    from agentkit.models import LocalChatModel
    from agentkit.models.loading import default_gguf_path

    prompts = _prompt_ids(LocalChatModel())
    model = llama_cpp.Llama(str(default_gguf_path()), n_ctx=1024, n_threads=threads, verbose=False)
    model.create_completion(prompts[0], max_tokens=2)
    started, tokens = time.perf_counter(), 0
    for prompt in prompts:
        tokens += model.create_completion(prompt, max_tokens=NEW_TOKENS, temperature=0.0)["usage"]["completion_tokens"]
    return {"tokens_per_s": tokens / (time.perf_counter() - started), "tokens": tokens}


def measure_transformers(batch: int) -> dict[str, float]:
    import torch

    from agentkit.models import LocalChatModel

    chat = LocalChatModel(engine="transformers")
    loaded, prompts = chat.loaded, _prompt_ids(chat)
    loaded.tokenizer.padding_side = "left"
    tokens, seconds = 0, 0.0
    for start in range(0, len(prompts), batch):
        padded = loaded.tokenizer.pad({"input_ids": prompts[start:start + batch]}, return_tensors="pt")
        began = time.perf_counter()
        with torch.inference_mode():
            out = loaded.model.generate(**padded, max_new_tokens=NEW_TOKENS, do_sample=False,
                                        pad_token_id=loaded.pad_id)
        seconds += time.perf_counter() - began
        for row in out[:, padded["input_ids"].shape[1]:].tolist():
            ended = [i for i, t in enumerate(row) if t in loaded.eos_ids]
            tokens += ended[0] + 1 if ended else len(row)
    return {"tokens_per_s": tokens / seconds, "tokens": tokens}


def measure_llama_server(binary: str, threads: int, batch: int) -> dict[str, float]:
    """llama.cpp's own server (continuous batching, `--parallel`) on the same prompts."""
    import concurrent.futures
    import socket

    import httpx

    from agentkit.models import LocalChatModel
    from agentkit.models.loading import default_gguf_path

    prompts = _prompt_ids(LocalChatModel())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([binary, "-m", str(default_gguf_path()), "--port", str(port), "-t", str(threads),
                               "-tb", str(threads), "--parallel", str(batch), "-c", str(2048 * batch),
                               "--no-webui"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)

        def complete(prompt: list[int]) -> int:
            body = {"prompt": prompt, "n_predict": NEW_TOKENS, "temperature": 0, "cache_prompt": False}
            return httpx.post(f"{url}/completion", json=body, timeout=300).json()["tokens_predicted"]

        complete(prompts[0])
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(batch) as pool:
            tokens = sum(pool.map(complete, prompts))
        return {"tokens_per_s": tokens / (time.perf_counter() - started), "tokens": tokens}
    finally:
        server.terminate()
        server.wait(30)


def worker(args: argparse.Namespace) -> None:
    kind, batch = args.worker, args.batch
    if kind == "agentkit":
        result = measure_agentkit(args.level, batch)
    elif kind == "llama-cpp-python":
        result = measure_llama_cpp_python(args.worker_threads)
    elif kind == "llama-server":
        result = measure_llama_server(args.llama_server, args.worker_threads, batch)
    else:
        result = measure_transformers(batch)
    print(json.dumps(result))


def run(kind: str, threads: int, batch: int, level: str | None = None, binary: str | None = None) -> dict[str, float]:
    env = {**os.environ, "AGENTKIT_TORCH_THREADS": str(threads), "AGENTKIT_LLAMA_THREADS": str(threads),
           "AGENTKIT_PARALLEL": str(max(batch, 1))}
    command = [sys.executable, __file__, "--worker", kind, "--batch", str(batch), "--worker-threads", str(threads)]
    if level:
        command += ["--level", level]
    if binary:
        command += ["--llama-server", binary]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--levels", nargs="+", default=["q4_1", "q8_0", "q4_0", "f16"])
    parser.add_argument("--llama-server", help="a llama-server binary to compare with (optional)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--level", help=argparse.SUPPRESS)
    parser.add_argument("--worker-threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    console = Console()
    table = Table("engine", "threads", "batch 1 tok/s", "batch 8 tok/s", "batch 8 / batch 1", "vs transformers b1",
                  title=f"greedy generation, {len(PROMPTS)} prompts x {NEW_TOKENS} tokens, "
                        f"load {os.getloadavg()[0]:.1f}")
    for threads in args.threads:
        peer = {b: run("transformers", threads, b)["tokens_per_s"] for b in (1, 8)}
        rows = [("transformers generate fp32", peer[1], peer[8])]
        floor = run("llama-cpp-python", threads, 1)["tokens_per_s"]
        rows.append(("llama-cpp-python Llama (q4_1)", floor, None))
        for level in args.levels:
            one, eight = (run("agentkit", threads, b, level)["tokens_per_s"] for b in (1, 8))
            rows.append((f"agentkit llama.cpp {level}", one, eight))
        if args.llama_server:
            rows.append(("llama.cpp llama-server (q4_1)", run("llama-server", threads, 1, binary=args.llama_server)[
                "tokens_per_s"], run("llama-server", threads, 8, binary=args.llama_server)["tokens_per_s"]))
        for name, one, eight in rows:
            table.add_row(name, str(threads), f"{one:.1f}", "" if eight is None else f"{eight:.1f}",
                          "" if eight is None else f"{eight / one:.2f}x", f"{one / peer[1]:.2f}x")
    console.print(table)
    console.print(f"[dim]{Path(__file__).name}: each row in its own process; load average now "
                  f"{os.getloadavg()[0]:.1f}[/]")


if __name__ == "__main__":
    main()
