"""Generation on llama.cpp (llama-cpp-python's C API, in process): GGUF files at the
quantization level asked for, LoRA adapters in GGUF form, and a continuous-batching engine
whose requests share forward passes while each keeps its own sampling, grammar, stop
strings and adapter."""
