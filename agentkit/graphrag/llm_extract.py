"""The LLM extractor: entities and relations of each chunk as constrained JSON.

Any LangChain chat model works: the bundled SmolLM2-135M decodes under the grammar of
the schema (so every reply parses and fits it, lists and strings bounded), an
OpenAI-compatible model gets the schema as `response_format` and gives better content.
A small model still invents names and repeats itself, so each reply is cleaned: names
the passage does not contain are dropped (`grounded`), duplicates merged, relations kept
only between the chunk's entities (an endpoint the passage names is added as an entity);
a reply that does not parse (a remote model ignoring the schema) counts as empty.
A bounded gleaning pass asks "anything missed?" up to `gleaning` times and stops early
when a pass adds nothing. Results are cached per (chunk id, prompt version, model id);
token counts come from the replies' usage metadata (the LLM spans carry them, and each
extracted chunk's CHAIN span `graphrag_extract` carries their sum).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import RunnableConfig, RunnableLambda
from pydantic import BaseModel

from agentkit.errors import ConfigError
from agentkit.graphrag.extraction_cache import Cost, ExtractionCache
from agentkit.graphrag.extraction_prompts import EXTRACT, GLEAN
from agentkit.graphrag.names import normalize
from agentkit.graphrag.types import ChunkExtraction, EntityMention, OnDone, RelationMention
from agentkit.models.structured import OutputSchema, with_instruction
from agentkit.prompts import Prompt
from agentkit.rag.chunks import Chunk

ENTITY_TYPES = ["person", "organization", "place", "work", "event", "date", "concept"]
# Measured by bench/graphrag_llm_extract.py: SmolLM2-135M (Q4_1 GGUF), 20 MuSiQue passages,
# gleaning 1, 1 torch thread on this shared 2-core machine (load average 3-9): 1656 prompt +
# 480 completion tokens per chunk in 84.5 s. `estimate` uses the cache's own measured rate
# instead once it holds MEASURED_AFTER extractions of the same prompt and model.
DEFAULT_TOKENS_PER_SECOND = 25.0  # prompt + completion tokens over wall time
DEFAULT_COMPLETION_TOKENS = 240  # per pass (what the schema's bounds allow is far more)
MEASURED_AFTER = 3
_WORD = re.compile(r"\w+")


def extraction_schema(max_entities: int, max_relations: int, name_chars: int, description_chars: int) -> dict[str, Any]:
    """The JSON Schema of one reply: bounded lists of bounded strings."""
    name = {"type": "string", "minLength": 1, "maxLength": name_chars}
    description = {"type": "string", "maxLength": description_chars}
    entity = {"type": "object", "properties": {"name": name, "type": {"enum": ENTITY_TYPES},
                                               "description": description},
              "required": ["name", "type", "description"], "additionalProperties": False}
    relation = {"type": "object", "properties": {"source": name, "target": name, "description": description},
                "required": ["source", "target", "description"], "additionalProperties": False}
    return {"title": "Extraction", "type": "object",
            "properties": {"entities": {"type": "array", "items": entity, "maxItems": max_entities},
                           "relations": {"type": "array", "items": relation, "maxItems": max_relations}},
            "required": ["entities", "relations"], "additionalProperties": False}


def reply_token_bound(max_entities: int, max_relations: int, name_chars: int, description_chars: int) -> int:
    """Tokens the longest schema-valid reply can take (a token is at least one character;
    escapes may double a string's characters), so no reply is ever cut short."""
    entity = 2 * (name_chars + description_chars) + 64
    relation = 2 * (2 * name_chars + description_chars) + 64
    return max_entities * entity + max_relations * relation + 32


class Estimate(BaseModel):
    """What extracting some chunks would cost, before anything runs."""

    chunks: int
    cached: int
    expected_tokens: int
    expected_seconds: float
    tokens_per_second: float
    measured: bool  # tokens/s measured from this cache's own extractions (else the documented default)

    def summary(self) -> str:
        """Lines for the CLI."""
        rate = "measured on this cache" if self.measured else "default for SmolLM2-135M on 1 CPU thread"
        return (f"{self.chunks} chunks, {self.cached} cached, {self.chunks - self.cached} to extract\n"
                f"expected: {self.expected_tokens} tokens, {_duration(self.expected_seconds)} "
                f"at {self.tokens_per_second:.0f} tokens/s ({rate})")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


class _Usage(BaseCallbackHandler):
    """Sums the usage metadata of every chat model reply (retries and gleaning included)."""

    def __init__(self) -> None:
        self.calls = self.prompt_tokens = self.completion_tokens = 0

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        self.calls += 1
        for generations in response.generations:
            for generation in generations:
                message = generation.message if isinstance(generation, ChatGeneration) else None
                usage = getattr(message, "usage_metadata", None) or {}
                self.prompt_tokens += usage.get("input_tokens", 0)
                self.completion_tokens += usage.get("output_tokens", 0)


def _key(name: str) -> str:
    """Casefolded words without accents: how a name is found in the passage's words."""
    text = unicodedata.normalize("NFKD", name.casefold())
    return " ".join(_WORD.findall("".join(ch for ch in text if not unicodedata.combining(ch))))


class LLMExtractor:
    """Entities and relations by a chat model, cached; see the module docstring."""

    name = "llm"
    version = "1"

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        model_id: str | None = None,
        cache: ExtractionCache | None = None,
        gleaning: int = 1,
        max_entities: int = 8,
        max_relations: int = 6,
        name_chars: int = 48,
        description_chars: int = 40,
        grounded: bool = True,
        prompt: Prompt = EXTRACT,
        glean_prompt: Prompt = GLEAN,
        tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND,
    ) -> None:
        if not 0 <= gleaning <= 5:
            raise ConfigError(f"LLM extractor: gleaning must be 0..5 extra passes, got {gleaning}")
        if max_entities < 1 or max_relations < 0 or name_chars < 8 or description_chars < 0:
            raise ConfigError("LLM extractor: max_entities >= 1, max_relations >= 0, name_chars >= 8 and "
                              "description_chars >= 0 are required")
        if unknown := set(prompt.variables()) - {"title", "text"}:
            raise ConfigError(f"extraction prompt {prompt.ref}: unknown variables {sorted(unknown)}; "
                              "it may use {title} and {text}")
        if glean_prompt.template is None:
            raise ConfigError(f"gleaning prompt {glean_prompt.ref} needs a `template:` (the follow-up question)")
        self.schema = extraction_schema(max_entities, max_relations, name_chars, description_chars)
        bound = reply_token_bound(max_entities, max_relations, name_chars, description_chars)
        if "max_tokens" in type(chat_model).model_fields:
            chat_model = chat_model.model_copy(update={"max_tokens": bound})
        self.chat_model = chat_model
        self.model_id = model_id or chat_model_id(chat_model)
        self.cache, self.gleaning, self.grounded = cache, gleaning, grounded
        self.prompt, self.glean_prompt = prompt, glean_prompt
        self.tokens_per_second = tokens_per_second
        self._structured = chat_model.with_structured_output(self.schema, include_raw=True)
        settings = [self.version, prompt.version, glean_prompt.version, gleaning, self.schema, grounded]
        self.prompt_version = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    # -- extraction ------------------------------------------------------------------
    def extract(self, chunks: Sequence[Chunk], on_done: OnDone | None = None) -> list[ChunkExtraction]:
        """One extraction per chunk, in order: from the cache, else from the model (then cached)."""
        results = []
        for chunk in chunks:
            cached = self.cache.get(chunk.id, self.prompt_version, self.model_id) if self.cache else None
            results.append(cached.model_copy(update={"tokens": 0}) if cached else self._extract_new(chunk))
            if on_done:
                on_done(1)
        return results

    def _extract_new(self, chunk: Chunk) -> ChunkExtraction:
        usage = _Usage()
        started = time.perf_counter()

        def extract_traced(target: Chunk, config: RunnableConfig) -> ChunkExtraction:
            return self._extract_traced(target, config, usage)

        traced = RunnableLambda(extract_traced, name="graphrag_extract")
        extraction: ChunkExtraction = traced.invoke(
            chunk, {"callbacks": [usage], "metadata": {"chunk_id": chunk.id, "model_id": self.model_id}})
        cost = Cost(chunks=1, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                    seconds=time.perf_counter() - started)
        extraction = extraction.model_copy(update={"tokens": cost.tokens})
        if self.cache:
            self.cache.put(extraction, self.prompt_version, self.model_id, cost)
        return extraction

    def _extract_traced(self, chunk: Chunk, config: RunnableConfig, usage: _Usage) -> ChunkExtraction:
        from agentkit.observability.attributes import set_current_span_attributes, span_attributes

        values = {"title": chunk.title or Path(chunk.doc_id).name, "text": chunk.text}
        messages = self.prompt.to_messages(values)
        entities: list[dict[str, Any]] = []
        relations: list[dict[str, Any]] = []
        passes = 0
        for passes in range(1, self.gleaning + 2):
            prompt = self.prompt if passes == 1 else self.glean_prompt
            with span_attributes(prompt_version=prompt.ref, prompt_template=prompt.template or ""):
                reply = self._structured.invoke(messages, config)
            parsed = reply["parsed"] if isinstance(reply.get("parsed"), dict) else {}
            before = self._clean(chunk, entities, relations)
            entities += parsed.get("entities", [])
            relations += parsed.get("relations", [])
            after = self._clean(chunk, entities, relations)
            if passes > 1 and _size(after) == _size(before):
                break
            messages = [*messages, AIMessage(json.dumps(parsed)), HumanMessage(self.glean_prompt.template or "")]
        found = self._clean(chunk, entities, relations)
        set_current_span_attributes({
            "graphrag.chunk_id": chunk.id, "graphrag.passes": passes, "graphrag.llm_calls": usage.calls,
            "graphrag.entities": len(found.entities), "graphrag.relations": len(found.relations),
            "graphrag.tokens.prompt": usage.prompt_tokens, "graphrag.tokens.completion": usage.completion_tokens,
            "graphrag.tokens.total": usage.prompt_tokens + usage.completion_tokens})
        return found

    def _clean(self, chunk: Chunk, entities: list[dict[str, Any]], relations: list[dict[str, Any]]) -> ChunkExtraction:
        """The replies' entities and relations, grounded in the chunk, deduplicated, with
        relations only between the chunk's entities."""
        text = f"{chunk.title}\n{chunk.text}"
        words = set(_key(text).split())
        folded = _key(text)
        title_key = normalize(chunk.title)
        kept: dict[str, EntityMention] = {}

        def add(name: str, kind: str, description: str) -> str | None:
            name = " ".join(name.split())
            written = _key(name)
            if not written or (self.grounded and not set(written.split()) <= words):
                return None
            key = normalize(name) or written
            if key not in kept:
                count = max(1, len(re.findall(rf"\b{re.escape(written)}\b", folded)))
                kept[key] = EntityMention(name=name, type=kind, description=" ".join(description.split()),
                                          count=count, title=bool(title_key) and key == title_key)
            elif description and not kept[key].description:
                kept[key] = kept[key].model_copy(update={"description": " ".join(description.split())})
            return key

        for item in entities:
            add(str(item.get("name", "")), str(item.get("type", "concept")), str(item.get("description", "")))
        stated: dict[tuple[str, str], RelationMention] = {}
        for item in relations:
            source = add(str(item.get("source", "")), "concept", "")
            target = add(str(item.get("target", "")), "concept", "")
            if source is None or target is None or source == target:
                continue
            pair = (min(source, target), max(source, target))
            if pair not in stated:
                stated[pair] = RelationMention(source=kept[source].name, target=kept[target].name,
                                               description=" ".join(str(item.get("description", "")).split()))
        return ChunkExtraction(chunk_id=chunk.id, doc_id=chunk.doc_id, title=chunk.title,
                               entities=list(kept.values()), relations=list(stated.values()))

    # -- cost ------------------------------------------------------------------------
    def estimate(self, chunks: Sequence[Chunk]) -> Estimate:
        """Chunks, how many are cached, and the tokens and seconds the rest would take
        (every gleaning pass assumed to run); no model call is made."""
        cached = self.cache.cached_ids([c.id for c in chunks], self.prompt_version, self.model_id) \
            if self.cache else set()
        history = self.cache.cost(self.prompt_version, self.model_id) if self.cache else Cost()
        passes = self.gleaning + 1
        completion = DEFAULT_COMPLETION_TOKENS
        rate, measured = self.tokens_per_second, False
        if history.chunks >= MEASURED_AFTER and history.seconds > 0:
            completion = round(history.completion_tokens / history.chunks / passes)
            rate, measured = history.tokens / history.seconds, True
        glean = self._count([HumanMessage(self.glean_prompt.template or "")])
        tokens = 0
        for chunk in chunks:
            if chunk.id in cached:
                continue
            values = {"title": chunk.title or Path(chunk.doc_id).name, "text": chunk.text}
            prompt = self._count(with_instruction(self.prompt.to_messages(values), OutputSchema.of(self.schema)))
            tokens += sum(prompt + n * (completion + glean) + completion for n in range(passes))
        return Estimate(chunks=len(chunks), cached=len(cached), expected_tokens=tokens,
                        expected_seconds=tokens / rate, tokens_per_second=rate, measured=measured)

    def _count(self, messages: list[BaseMessage]) -> int:
        from agentkit.models.context import token_counter

        return token_counter(self.chat_model)(messages)


def _size(extraction: ChunkExtraction) -> tuple[int, int]:
    return len(extraction.entities), len(extraction.relations)


def chat_model_id(model: BaseChatModel) -> str:
    """A stable id of the model that answers (the cache key's model part)."""
    from agentkit.models.local_chat import LocalChatModel

    if isinstance(model, LocalChatModel):
        level = ":int8" if model.quantize else (f":{model.quant}" if model.quant else "")
        return f"local:{model.tokens.name}@{model.backend.kind}{level}" + (f"+{model.adapter}" if model.adapter else "")
    served = getattr(model, "model_name", None) or getattr(model, "model", None) or ""
    base = getattr(model, "openai_api_base", None) or ""
    return f"{model._llm_type}:{served}" + (f"@{base}" if base else "")


def llm_extractor(llm: str | None, base_url: str | None, workspace: Path | None, **options: Any) -> LLMExtractor:
    """The LLM extractor over the bundled model (`llm` None), a local model folder, .gguf
    or hub id, or the model `llm` served at `base_url` (OpenAI-compatible); its cache is
    `<workspace>/.agentkit/graphs/llm_cache.sqlite` (no cache without a workspace)."""
    from agentkit.models import ChatModelConfig, get_chat_model
    from agentkit.workspace import state_dir

    config = ChatModelConfig(provider="openai" if base_url else "local", model=llm, base_url=base_url)
    cache = ExtractionCache(state_dir(workspace) / "graphs" / "llm_cache.sqlite") if workspace else None
    return LLMExtractor(get_chat_model(config), cache=cache, **options)
