"""Generated-tokens/s of vLLM (CPU build) on the project's generation prompts.
Usage (its own venv, docs/serving.md "Other engines"): python vllm_cpu.py --model HF_DIR --threads N --batch N
Prints one JSON line {"tokens_per_s":..., "tokens":...}."""
import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

PROMPTS = str(Path(__file__).resolve().parent.parent / "generation_prompts.py")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--prompts", default=PROMPTS)
    ap.add_argument("--dtype", default="float32")
    a = ap.parse_args()
    # vLLM CPU: bind N OpenMP threads to cores 0..N-1, 1 GiB KV cache
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "0" if a.threads == 1 else f"0-{a.threads-1}")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    from vllm import LLM, SamplingParams

    spec = importlib.util.spec_from_file_location("gp", a.prompts)
    gp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gp)
    llm = LLM(model=a.model, dtype=a.dtype, max_model_len=512, max_num_seqs=a.batch,
              enforce_eager=True, seed=0)
    tok = llm.get_tokenizer()
    texts = [tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True,
                                     tokenize=False) for p in gp.PROMPTS]
    sp = SamplingParams(temperature=0.0, max_tokens=gp.NEW_TOKENS, min_tokens=gp.NEW_TOKENS,
                        ignore_eos=True)
    llm.generate(texts[:1], SamplingParams(temperature=0.0, max_tokens=8), use_tqdm=False)  # warm-up
    t0, tokens = time.perf_counter(), 0
    for i in range(0, len(texts), a.batch):
        outs = llm.generate(texts[i:i + a.batch], sp, use_tqdm=False)
        tokens += sum(len(o.outputs[0].token_ids) for o in outs)
    dt = time.perf_counter() - t0
    print(json.dumps({"tokens_per_s": round(tokens / dt, 2), "tokens": tokens, "seconds": round(dt, 3),
                      "batch": a.batch, "threads": a.threads, "engine": "vllm-cpu",
                      "first": outs[0].outputs[0].text[:80], "loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
