"""Local embeddings: the bundled all-MiniLM-L6-v2, offline."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from agentkit.errors import ConfigError
from agentkit.models import EmbeddingsConfig, get_embeddings

pytestmark = pytest.mark.model


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # vectors are unit length


def test_embeddings_are_384_dim_normalized_and_meaningful() -> None:
    embeddings = get_embeddings(EmbeddingsConfig())
    assert get_embeddings(EmbeddingsConfig()) is embeddings
    cat, kitten, stocks = embeddings.embed_documents(
        ["A cat is sleeping on the sofa.", "A kitten naps on the couch.", "Stock prices fell."]
    )
    query = embeddings.embed_query("Where is the cat sleeping?")
    for vector in (cat, kitten, stocks, query):
        assert len(vector) == 384
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-4)
    assert _cosine(cat, kitten) > _cosine(cat, stocks) + 0.3
    assert _cosine(query, cat) > _cosine(query, stocks)


def test_missing_local_embeddings_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="could not be loaded"):
        get_embeddings(EmbeddingsConfig(model=f"{tmp_path}/no-such-model"))
