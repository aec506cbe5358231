"""Fine-tuning: `agentkit finetune sft|dpo CONFIG.yaml` (LoRA/QLoRA on peft + TRL), the
adapter folder it writes (weights, agentkit_adapter.json, model card, loss plot), and
`agentkit adapters list|show|merge`. Modules import torch/TRL lazily where they can."""
