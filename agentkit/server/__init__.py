"""`agentkit serve`: the workspace's graphs, the local chat model with its adapters, and the
embedder behind one HTTP server (FastAPI on uvicorn): an OpenAI-compatible model API, a
graph API shaped like LangGraph Server's, health and readiness, Prometheus metrics."""
