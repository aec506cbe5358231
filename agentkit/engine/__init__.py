"""Registry, validation and compilation of graph specs to LangGraph."""
