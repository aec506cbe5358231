"""agentkit: declarative LangGraph agents."""
