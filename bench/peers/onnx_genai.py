"""Generated-tokens/s of onnxruntime-genai on the project's generation prompts.

Usage (its own venv, docs/serving.md "Other engines"): python onnx_genai.py --model DIR --threads N --batch N

--batch 1: the prompts one after another (one generator each).
--batch B>1: the prompts in groups of B, each group one static batch
             (GeneratorParams batch_size=B, left-padded by the tokenizer).
Greedy, NEW_TOKENS new tokens per prompt; EOS is suppressed through
min_length so every sequence produces exactly NEW_TOKENS tokens (the script
counts what was actually generated all the same).
Threads: the decoder session's intra_op_num_threads (and inter_op 1) are set
through a genai_config overlay, equivalent to "session_options" in
genai_config.json; the model folder is not modified.
Prints one JSON line: {"tokens_per_s":..., "tokens":..., ...}.
"""
import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime_genai as og

DEFAULT_PROMPTS = str(Path(__file__).resolve().parent.parent / "generation_prompts.py")


def load_prompts(path):
    spec = importlib.util.spec_from_file_location("generation_prompts", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(mod.PROMPTS), int(mod.NEW_TOKENS)


def chat(tokenizer, prompt):
    msgs = json.dumps([{"role": "user", "content": prompt}])
    return tokenizer.apply_chat_template(messages=msgs, add_generation_prompt=True)


def run_group(model, tokenizer, texts, new_tokens):
    """Generate new_tokens greedily for texts (one static batch). Returns tokens generated."""
    n = len(texts)
    if n == 1:
        ids = np.asarray(tokenizer.encode(texts[0]), dtype=np.int32).reshape(1, -1)
    else:
        ids = tokenizer.encode_batch(texts).as_numpy().astype(np.int32)
    prompt_len = ids.shape[1]  # padded length for a batch
    total = prompt_len + new_tokens
    params = og.GeneratorParams(model)
    params.set_search_options(do_sample=False, batch_size=n, max_length=total,
                              min_length=total)
    gen = og.Generator(model, params)
    gen.append_tokens(ids)
    produced = 0
    while not gen.is_done():
        gen.generate_next_token()
        produced += 1
    # every sequence in the batch advances together
    return produced * n, [gen.get_sequence(i)[prompt_len:] for i in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompts", default=DEFAULT_PROMPTS)
    ap.add_argument("--warmup", type=int, default=1, help="untimed warm-up groups")
    ap.add_argument("--show", action="store_true", help="print the first completion to stderr")
    a = ap.parse_args()

    prompts, new_tokens = load_prompts(a.prompts)
    config = og.Config(a.model)
    config.overlay(json.dumps({"model": {"decoder": {"session_options": {
        "intra_op_num_threads": a.threads, "inter_op_num_threads": 1}}}}))
    config.clear_providers()  # CPU
    model = og.Model(config)
    tokenizer = og.Tokenizer(model)
    texts = [chat(tokenizer, p) for p in prompts]
    groups = [texts[i:i + a.batch] for i in range(0, len(texts), a.batch)]

    for _ in range(a.warmup):
        run_group(model, tokenizer, groups[0], 8)

    tokens = 0
    t0 = time.perf_counter()
    first = None
    for g in groups:
        n, seqs = run_group(model, tokenizer, g, new_tokens)
        tokens += n
        if first is None:
            first = seqs[0]
    dt = time.perf_counter() - t0
    if a.show:
        print(repr(tokenizer.decode(first)), file=sys.stderr)
    print(json.dumps({
        "tokens_per_s": round(tokens / dt, 2), "tokens": tokens, "seconds": round(dt, 3),
        "batch": a.batch, "threads": a.threads, "prompts": len(prompts),
        "new_tokens": new_tokens, "model": os.path.abspath(a.model),
        "engine": "onnxruntime-genai " + og.__version__,
        "loadavg": os.getloadavg(),
    }))


if __name__ == "__main__":
    main()
