"""Benchmarks that score agentkit chat models (BFCL tool calling: `agentkit.evals.bfcl`)."""
