"""`python -m agentkit` is the `agentkit` command."""

from agentkit.cli.app import main

main()
