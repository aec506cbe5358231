"""Grammar-constrained decoding with llguidance: JSON Schema and Lark grammars as token masks.

A grammar is checked once against the model's tokenizer (`GrammarEngine.check`); while
decoding, a `GrammarMask` holds one matcher per batch row, masks the next-token logits of
all rows in one call and advances each row with the token chosen for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import llguidance
import llguidance.hf
import numpy as np
import torch

from agentkit.errors import ConfigError
from agentkit.models.loading import ModelTokens

# JSON as `json.dumps` writes it: no free whitespace (a small model would wander in it),
# the separators a chat model has seen most and agentkit renders tool calls with.
JSON_STYLE: dict[str, Any] = {
    "whitespace_flexible": False,
    "item_separator": ", ",
    "key_separator": ": ",
}


@dataclass(frozen=True)
class Grammar:
    """An llguidance grammar (serialized) that compiled against the model's tokenizer."""

    text: str


def json_schema_lark(schema: dict[str, Any]) -> str:
    """A Lark rule body matching one JSON value of `schema`, written in `JSON_STYLE`."""
    return "%json " + json.dumps({**closed_objects(schema), "x-guidance": JSON_STYLE})


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains", "if", "then", "else")


def closed_objects(schema: Any) -> Any:
    """`schema` with `additionalProperties: false` wherever an object schema lists
    `properties` and leaves extra keys open (pydantic's default): generation then stays
    within the declared keys instead of inventing more, as in OpenAI's strict mode."""
    if not isinstance(schema, dict):
        return schema
    closed = dict(schema)
    for key in _SCHEMA_MAPS:
        if isinstance(closed.get(key), dict):
            closed[key] = {name: closed_objects(sub) for name, sub in closed[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(closed.get(key), list):
            closed[key] = [closed_objects(sub) for sub in closed[key]]
    for key in _SCHEMA_VALUES:
        if key in closed:
            closed[key] = closed_objects(closed[key])
    if "properties" in closed and "additionalProperties" not in closed:
        closed["additionalProperties"] = False
    return closed


def lark_literal(text: str) -> str:
    """`text` as a Lark string literal."""
    return json.dumps(text)


class GrammarEngine:
    """llguidance bound to one model's tokenizer (building it takes ~1 s, done once)."""

    def __init__(self, tokens: ModelTokens) -> None:
        self.vocab_size = tokens.vocab_size
        self.tokenizer = llguidance.hf.from_tokenizer(tokens.tokenizer, n_vocab=self.vocab_size)
        self.executor = llguidance.LLExecutor()

    def json_schema(self, schema: dict[str, Any], what: str) -> Grammar:
        """The grammar of one JSON value matching `schema`; `what` names it in errors."""
        if not isinstance(schema, dict):
            raise ConfigError(f"{what}: a JSON Schema must be a dict, got {type(schema).__name__}")
        return self.lark("start: " + json_schema_lark(schema), what)

    def lark(self, lark: str, what: str) -> Grammar:
        """A Lark grammar (with `%json` rules) checked against the tokenizer."""
        try:
            text = llguidance.LLMatcher.grammar_from_lark(lark)
            failed, messages = llguidance.LLMatcher.validate_grammar_with_warnings(
                text, self.tokenizer
            )
        except (ValueError, TypeError, RuntimeError) as exc:
            failed, messages = True, [str(exc)]
        if failed:
            raise ConfigError(
                f"{what}: the grammar engine (llguidance) cannot compile it: "
                f"{'; '.join(messages) or 'unknown error'}; simplify the schema (e.g. drop "
                "`not`, `uniqueItems` or look-around regex patterns) or fix the reported part"
            )
        return Grammar(text)

    def mask(self, grammars: Sequence[Grammar | None]) -> GrammarMask:
        """Per-row constraint for one generation; rows with None are unconstrained."""
        return GrammarMask(self, grammars)

    def matcher(self, grammar: Grammar) -> llguidance.LLMatcher:
        """A fresh matcher at the start of `grammar` (one per generated row)."""
        return llguidance.LLMatcher(self.tokenizer, grammar.text)

    def mask_rows(self, matchers: Sequence[llguidance.LLMatcher], logits: Sequence[np.ndarray]) -> None:
        """Set the logits each matcher forbids to -inf, in place (masks computed in parallel)."""
        if not matchers:
            return
        bitmask = np.full((len(matchers), (self.vocab_size + 31) // 32), -1, dtype=np.int32)
        self.executor.unsafe_compute_mask_ptr(
            [(m, i) for i, m in enumerate(matchers)], bitmask.ctypes.data, bitmask.shape[1] * 4, len(matchers)
        )
        allowed = np.unpackbits(bitmask.view(np.uint8), axis=1, bitorder="little")
        for row, values in zip(allowed, logits, strict=True):
            values[row[: len(values)] == 0] = -np.inf


_LOCK = threading.Lock()


def grammar_engine(tokens: ModelTokens) -> GrammarEngine:
    """The process-wide engine for the tokenizer of `tokens`, built on first use."""
    with _LOCK:
        known = _ENGINES.get(id(tokens.tokenizer))
        if known is None or known[0] is not tokens.tokenizer:
            known = _ENGINES[id(tokens.tokenizer)] = (tokens.tokenizer, GrammarEngine(tokens))
        return known[1]


_ENGINES: dict[int, tuple[Any, GrammarEngine]] = {}  # id(tokenizer) -> (tokenizer, engine)


class GrammarMask:
    """The `decoding.LogitsConstraint` of a batch: one llguidance matcher per row."""

    def __init__(self, engine: GrammarEngine, grammars: Sequence[Grammar | None]) -> None:
        self._engine = engine
        self._matchers = [None if g is None else engine.matcher(g) for g in grammars]

    def mask(self, logits: torch.Tensor) -> None:
        """Set the logits of tokens a row's grammar forbids to -inf (in place)."""
        rows = logits.numpy()
        constrained = [i for i, m in enumerate(self._matchers) if m is not None]
        self._engine.mask_rows([self._matchers[i] for i in constrained], [rows[i] for i in constrained])

    def accept(self, tokens: Sequence[int]) -> None:
        """Advance every constrained row that has not ended with its chosen token."""
        for matcher, token in zip(self._matchers, tokens, strict=True):
            if matcher is None or matcher.is_stopped():
                continue
            if not matcher.consume_token(token):
                raise RuntimeError(f"grammar rejected token {token}: {matcher.get_error()}")
