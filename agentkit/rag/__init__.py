"""Retrieval: loaders, chunking, stores (embedded default, Weaviate), fusion, reranking."""
