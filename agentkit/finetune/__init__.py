"""Fine-tuning: `agentkit finetune sft|dpo CONFIG.yaml` (LoRA/QLoRA on peft + TRL), the
adapter folder it writes (weights, agentkit_adapter.json, model card, loss plot), and
`agentkit adapters list|show|merge`. Modules import torch/TRL lazily where they can."""

import logging

# bitsandbytes warns at import that an optional CPU kernel package is absent; it works without it.
logging.getLogger("bitsandbytes").setLevel(logging.ERROR)
