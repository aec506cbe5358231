"""GraphRAG: an entity graph derived from a store, communities, local/global graph search."""
