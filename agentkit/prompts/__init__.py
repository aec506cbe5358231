"""Versioned prompts: files in the workspace, content-hashed versions, history."""

from agentkit.prompts.models import Example, Prompt
from agentkit.prompts.store import PromptStore, PromptVersion, split_ref

__all__ = ["Example", "Prompt", "PromptStore", "PromptVersion", "split_ref"]
