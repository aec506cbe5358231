"""Multi-hop retrieval eval: documents.jsonl + questions.jsonl with supporting document
ids; every question searched by hybrid, graph and graph+hybrid search over one store;
support recall@2/@5, all-support@5, latency, and with answers EM/F1 (`suite.py`)."""
