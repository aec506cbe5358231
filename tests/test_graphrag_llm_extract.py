"""The LLM entity extractor on the real SmolLM2-135M: constrained JSON, cleaning, bounded
gleaning, the (chunk, prompt, model) cache, crash safety, the estimate, token counts on spans."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from phoenix_server import fetch_spans

from agentkit.errors import ConfigError
from agentkit.graphrag.extraction_cache import ExtractionCache
from agentkit.graphrag.llm_extract import ENTITY_TYPES, LLMExtractor, _key
from agentkit.graphrag.types import ChunkExtraction
from agentkit.models import LocalChatModel
from agentkit.observability.tracing import disable_tracing, enable_tracing, flush_traces
from agentkit.prompts import Prompt
from agentkit.rag.chunks import Chunk, chunk_id

pytestmark = pytest.mark.model

PASSAGES = [
    ("Marie Curie", "Marie Curie was born in Warsaw. She worked in Paris with Pierre Curie."),
    ("Kourou", "Ariane rockets launch from Kourou in French Guiana."),
]


def chunk(title: str, text: str) -> Chunk:
    return Chunk(id=chunk_id(title, text), text=text, doc_id=title, source=f"{title}.md", title=title)


CHUNKS = [chunk(*p) for p in PASSAGES]


class Calls(BaseCallbackHandler):
    """Counts chat model calls (each reply the model generates)."""

    def __init__(self) -> None:
        self.count = 0

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.count += 1


class Interrupted(Exception):
    """Stands for the process being killed after the first chunk."""


@dataclass
class Runs:
    """Three runs over CHUNKS with one cache: killed after chunk 1, resumed, repeated."""

    extractor: LLMExtractor
    cache: ExtractionCache
    calls: Calls
    calls_before_kill: int
    cached_after_kill: set[str]
    calls_resumed: int
    resumed: list[ChunkExtraction]
    calls_repeated: int
    repeated: list[ChunkExtraction]


@pytest.fixture(scope="module")
def calls() -> Calls:
    return Calls()


@pytest.fixture(scope="module")
def chat(model_cache: Path, calls: Calls) -> LocalChatModel:
    return LocalChatModel(callbacks=[calls])


def small(chat: LocalChatModel, cache: ExtractionCache | None, gleaning: int = 1) -> LLMExtractor:
    return LLMExtractor(chat, cache=cache, gleaning=gleaning, max_entities=4, max_relations=2,
                        name_chars=32, description_chars=24)


@pytest.fixture(scope="module")
def runs(chat: LocalChatModel, calls: Calls, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    cache = ExtractionCache(tmp_path_factory.mktemp("llm") / "llm_cache.sqlite")
    extractor = small(chat, cache)

    def killed(n: int) -> None:
        raise Interrupted

    start = calls.count
    with pytest.raises(Interrupted):
        extractor.extract(CHUNKS, killed)
    calls_before_kill = calls.count - start
    cached_after_kill = cache.cached_ids([c.id for c in CHUNKS], extractor.prompt_version, extractor.model_id)
    start = calls.count
    fresh = small(chat, ExtractionCache(cache.path))  # a new process: the same file
    resumed = fresh.extract(CHUNKS)
    calls_resumed = calls.count - start
    start = calls.count
    repeated = small(chat, ExtractionCache(cache.path)).extract(CHUNKS)
    return Runs(fresh, fresh.cache, calls, calls_before_kill, cached_after_kill, calls_resumed, resumed,  # type: ignore[arg-type]
                calls.count - start, repeated)


def test_extractions_have_the_shape_and_find_entities_named_in_the_passage(runs: Runs) -> None:
    assert [(e.chunk_id, e.doc_id, e.title) for e in runs.resumed] == [(c.id, c.doc_id, c.title) for c in CHUNKS]
    assert all(e.entities for e in runs.resumed), [e.model_dump() for e in runs.resumed]
    for extraction, source in zip(runs.resumed, CHUNKS):
        words = set(_key(f"{source.title} {source.text}").split())
        for entity in extraction.entities:
            assert entity.type in ENTITY_TYPES
            assert set(_key(entity.name).split()) <= words, entity  # grounded: no invented names
            assert len(entity.name) <= 32 and len(entity.description) <= 24
        assert len(extraction.entities) <= 2 * (4 + 2 * 2)  # two passes: entities, relation endpoints
        keys = [_key(e.name) for e in extraction.entities]
        assert len(keys) == len(set(keys))


def test_relation_endpoints_are_entities_of_the_chunk(runs: Runs) -> None:
    for extraction in runs.resumed:
        names = {e.name for e in extraction.entities}
        for relation in extraction.relations:
            assert {relation.source, relation.target} <= names
            assert _key(relation.source) != _key(relation.target)


def test_gleaning_is_bounded_and_tokens_are_counted(runs: Runs) -> None:
    assert 1 <= runs.calls_before_kill <= 2  # one chunk: the first pass and at most one gleaning pass
    assert 1 <= runs.calls_resumed <= 2  # only the chunk the killed run did not finish
    cost = runs.cache.cost(runs.extractor.prompt_version, runs.extractor.model_id)
    assert cost.chunks == 2 and cost.prompt_tokens > 100 and cost.completion_tokens > 10
    assert runs.resumed[1].tokens > 0


def test_a_killed_run_keeps_the_finished_chunk_and_a_rerun_costs_nothing(runs: Runs) -> None:
    assert runs.cached_after_kill == {CHUNKS[0].id}
    assert runs.resumed[0].tokens == 0  # came from the cache
    assert runs.calls_repeated == 0
    assert all(e.tokens == 0 for e in runs.repeated)
    assert [e.model_dump(exclude={"tokens"}) for e in runs.repeated] == \
        [e.model_dump(exclude={"tokens"}) for e in runs.resumed]


def test_another_prompt_model_or_setting_is_another_cache_key(runs: Runs, chat: LocalChatModel) -> None:
    extractor, cache = runs.extractor, runs.cache
    first = CHUNKS[0].id
    assert cache.get(first, extractor.prompt_version, extractor.model_id) is not None
    assert cache.get(first, extractor.prompt_version, "openai:gpt-4o-mini") is None
    other_gleaning = small(chat, cache, gleaning=0)
    edited = LLMExtractor(chat, cache=cache, gleaning=1, max_entities=4, max_relations=2, name_chars=32,
                          description_chars=24, prompt=extractor.prompt.model_copy(update={"system": "Find names."}))
    versions = {extractor.prompt_version, other_gleaning.prompt_version, edited.prompt_version}
    assert len(versions) == 3
    assert cache.get(first, other_gleaning.prompt_version, extractor.model_id) is None


def test_the_estimate_counts_cached_chunks_and_makes_no_model_call(runs: Runs) -> None:
    new = chunk("Kepler", "Johannes Kepler described the orbits of the planets.")
    before = runs.calls.count
    estimate = runs.extractor.estimate([*CHUNKS, new])
    assert runs.calls.count == before
    assert (estimate.chunks, estimate.cached) == (3, 2)
    spent = runs.cache.cost(runs.extractor.prompt_version, runs.extractor.model_id).tokens / 2
    assert 0.3 < estimate.expected_tokens / spent < 3  # a passage like the cached ones costs about as much
    assert estimate.expected_seconds == pytest.approx(estimate.expected_tokens / estimate.tokens_per_second)
    assert not estimate.measured  # two cached chunks are too few to measure a rate on
    assert "3 chunks, 2 cached, 1 to extract" in estimate.summary()
    nothing = runs.extractor.estimate(CHUNKS)
    assert (nothing.expected_tokens, nothing.expected_seconds) == (0, 0.0)


def test_the_reply_is_cleaned_against_the_passage(chat: LocalChatModel) -> None:
    extractor = small(chat, None)
    reply_entities = [
        {"name": "Marie  Curie", "type": "person", "description": "physicist"},
        {"name": "marie curie", "type": "person", "description": ""},  # the same name again
        {"name": "Sven Solovej", "type": "person", "description": "invented"},  # not in the passage
    ]
    reply_relations = [
        {"source": "Marie Curie", "target": "Warsaw", "description": "born in"},  # Warsaw: added
        {"source": "Marie Curie", "target": "Sven Solovej", "description": "x"},  # invented endpoint
        {"source": "Marie Curie", "target": "MARIE CURIE", "description": "self"},
        {"source": "Warsaw", "target": "Marie Curie", "description": "the same pair"},
    ]
    found = extractor._clean(CHUNKS[0], reply_entities, reply_relations)
    assert [(e.name, e.type, e.count, e.title) for e in found.entities] == [
        ("Marie Curie", "person", 2, True), ("Warsaw", "concept", 1, False)]
    assert [(r.source, r.target, r.description) for r in found.relations] == [("Marie Curie", "Warsaw", "born in")]


def test_without_gleaning_one_call_per_chunk_traced_with_its_token_counts(
    chat: LocalChatModel, calls: Calls, phoenix_server: str, tmp_path: Path
) -> None:
    extractor = small(chat, ExtractionCache(tmp_path / "cache.sqlite"), gleaning=0)
    passage = chunk("Kepler", "Johannes Kepler lived in Prague.")
    assert enable_tracing("agentkit-test-llm-extract", phoenix_server)
    try:
        before = calls.count
        (found,) = extractor.extract([passage])
        assert calls.count - before == 1
        assert flush_traces()
        spans = fetch_spans(phoenix_server, "agentkit-test-llm-extract", count=3)
    finally:
        disable_tracing()
    chain = next(s for s in spans if s["name"] == "graphrag_extract")
    llm = [s for s in spans if s["span_kind"] == "LLM"]
    assert len(llm) == 1
    assert llm[0]["context"]["trace_id"] == chain["context"]["trace_id"]
    counts = llm[0]["attributes"]
    assert counts["llm.token_count.prompt"] > 100 and counts["llm.token_count.completion"] > 5
    assert chain["attributes"]["graphrag.tokens.total"] == counts["llm.token_count.total"] == found.tokens
    assert chain["attributes"]["graphrag.chunk_id"] == passage.id
    assert chain["attributes"]["graphrag.entities"] == len(found.entities)
    assert counts["llm.prompt_template.version"] == extractor.prompt.ref


def test_bad_settings_and_an_unreadable_cache_are_clear_errors(chat: LocalChatModel, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gleaning must be 0..5"):
        small(chat, None, gleaning=9)
    with pytest.raises(ConfigError, match=r"unknown variables \['question'\]"):
        LLMExtractor(chat, cache=None, prompt=Prompt(name="mine", template="{question}: {text}"))
    broken = tmp_path / "llm_cache.sqlite"
    broken.write_bytes(b"not a database" * 100)
    with pytest.raises(ConfigError, match="is not a readable LLM extraction cache") as error:
        ExtractionCache(broken)
    assert "delete or move it away" in str(error.value)
    assert broken.read_bytes() == b"not a database" * 100
