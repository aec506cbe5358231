"""The `agentkit` command line."""
