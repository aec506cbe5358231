"""Grammar engines for constrained JSON decoding, measured on SmolLM2-135M on this machine.

For each engine that installs here (xgrammar, llguidance, outlines-core, lm-format-enforcer,
transformers-cfg): the tokenizer setup time, the grammar compile time per schema, and, on
the same greedy token loop (agentkit's `Decoder`) and the same 10 prompts and schemas,
the fraction of outputs that parse and validate and the generation speed, next to
unconstrained decoding. Then agentkit's own path (`with_structured_output`) against plain
`invoke` on the same prompts.

Only llguidance is an agentkit dependency; install the others to compare them
(`pip install -e '.[bench-decoding]'`), a missing one shows
as failed. On a busy machine, `--threads 1` avoids torch thread oversubscription.

Run: .venv/bin/python bench/constrained_decoding.py   (about 4 minutes on 2 CPU cores)"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import jsonschema
import torch
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from rich.console import Console
from rich.table import Table

from agentkit.models import LocalChatModel
from agentkit.models.decoding import Decoder
from agentkit.models.grammar import GrammarEngine, closed_objects
from agentkit.models.structured import OutputSchema, with_instruction
from agentkit.models.loading import LoadedModel

MAX_NEW = 160

SCHEMAS: list[tuple[str, dict[str, Any], str]] = [
    (
        "person",
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
        },
        "Ana is 31 years old.",
    ),
    (
        "sentiment (enum, number)",
        {
            "type": "object",
            "properties": {
                "sentiment": {"enum": ["positive", "negative", "neutral"]},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["sentiment", "confidence"],
        },
        "Review: I loved this phone, the battery lasts for days!",
    ),
    (
        "order (nested, array of objects)",
        {
            "type": "object",
            "properties": {
                "order_id": {"type": "integer"},
                "customer": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
                    "required": ["name", "email"],
                },
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "sku": {"type": "string"},
                            "quantity": {"type": "integer", "minimum": 1},
                        },
                        "required": ["sku", "quantity"],
                    },
                    "minItems": 1,
                },
            },
            "required": ["order_id", "customer", "items"],
        },
        "Order 1042 by Bob Li (bob@example.com): 2 x SKU A-7 and 1 x SKU B-2.",
    ),
    (
        "event (optional fields)",
        {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "day": {"type": "string"},
                "location": {"type": "string"},
                "attendees": {"type": "integer"},
            },
            "required": ["title", "day"],
        },
        "Team lunch on Friday at the Italian place, about 8 people.",
    ),
    (
        "tags (array of strings)",
        {
            "type": "object",
            "properties": {
                "tags": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": 5,
                }
            },
            "required": ["tags"],
        },
        "Tag this article: 'How to bake sourdough bread at home with a cast iron pot.'",
    ),
    (
        "prime (boolean, integer)",
        {
            "type": "object",
            "properties": {"number": {"type": "integer"}, "is_prime": {"type": "boolean"}},
            "required": ["number", "is_prime"],
        },
        "Is 17 a prime number?",
    ),
    (
        "address (nested, enum)",
        {
            "type": "object",
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string"},
                "country": {"enum": ["CH", "DE", "FR", "IT", "US"]},
            },
            "required": ["street", "city", "country"],
        },
        "Ship it to Bahnhofstrasse 1, Zurich, Switzerland.",
    ),
    (
        "cities (array of objects)",
        {
            "type": "object",
            "properties": {
                "cities": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "population_millions": {"type": "number"},
                        },
                        "required": ["name", "population_millions"],
                    },
                    "maxItems": 3,
                }
            },
            "required": ["cities"],
        },
        "List up to three big cities in Japan with their population in millions.",
    ),
    (
        "answer (nullable anyOf)",
        {
            "type": "object",
            "properties": {
                "answer": {"type": "string"},
                "source": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["answer", "source"],
        },
        "What is the capital of France?",
    ),
    (
        "recipe (nested, enum, numbers)",
        {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "servings": {"type": "integer", "minimum": 1},
                "ingredients": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "amount": {"type": "number"},
                            "unit": {"enum": ["g", "ml", "piece"]},
                        },
                        "required": ["name", "amount", "unit"],
                    },
                    "maxItems": 4,
                },
            },
            "required": ["title", "servings", "ingredients"],
        },
        "Pancakes for 2: 100 g flour, 200 ml milk, 1 egg.",
    ),
]


def messages_for(schema: dict[str, Any], request: str) -> list[BaseMessage]:
    """The same prompt for every engine: the schema in the system message, then the text."""
    return [
        SystemMessage(
            "Reply with one JSON object only, matching this JSON Schema:\n" + json.dumps(schema)
        ),
        HumanMessage(request),
    ]


def is_valid(text: str, schema: dict[str, Any]) -> bool:
    """Does `text` parse as JSON (surrounding whitespace allowed) and match `schema`?"""
    try:
        jsonschema.validate(json.loads(text), schema)
    except (json.JSONDecodeError, jsonschema.ValidationError):
        return False
    return True


class RowMatcher(Protocol):
    """One row's grammar state: mask the next-token logits, then take the chosen token."""

    def mask(self, logits: torch.Tensor) -> None: ...

    def accept(self, token: int) -> None: ...


class Engine(Protocol):
    """A grammar engine bound to one tokenizer."""

    name: str

    def compile(self, schema: dict[str, Any]) -> Any: ...

    def matcher(self, compiled: Any) -> RowMatcher: ...


# --- xgrammar -------------------------------------------------------------------------


class XGrammar:
    name = "xgrammar"

    def __init__(self, loaded: LoadedModel) -> None:
        import xgrammar as xgr

        self._xgr = xgr
        vocab = loaded.model.config.vocab_size
        info = xgr.TokenizerInfo.from_huggingface(loaded.tokenizer, vocab_size=vocab)
        self._compiler = xgr.GrammarCompiler(info, cache_enabled=False)
        self._vocab = vocab

    def compile(self, schema: dict[str, Any]) -> Any:
        return self._compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)

    def matcher(self, compiled: Any) -> RowMatcher:
        xgr = self._xgr
        matcher = xgr.GrammarMatcher(compiled)
        bitmask = xgr.allocate_token_bitmask(1, self._vocab)

        class Row:
            def mask(self, logits: torch.Tensor) -> None:
                matcher.fill_next_token_bitmask(bitmask)
                xgr.apply_token_bitmask_inplace(logits[None], bitmask)

            def accept(self, token: int) -> None:
                matcher.accept_token(token)

        return Row()


# --- llguidance -----------------------------------------------------------------------


class LLGuidance:
    """agentkit's own path (`agentkit.models.grammar`)."""

    name = "llguidance"

    def __init__(self, loaded: LoadedModel) -> None:
        self._engine = GrammarEngine(loaded)

    def compile(self, schema: dict[str, Any]) -> Any:
        return self._engine.json_schema(schema, "bench schema")

    def matcher(self, compiled: Any) -> RowMatcher:
        grammar_mask = self._engine.mask([compiled])

        class Row:
            def mask(self, logits: torch.Tensor) -> None:
                grammar_mask.mask(logits[None])

            def accept(self, token: int) -> None:
                grammar_mask.accept([token])

        return Row()


# --- outlines-core ----------------------------------------------------------------------


class OutlinesCore:
    name = "outlines-core"

    def __init__(self, loaded: LoadedModel) -> None:
        from outlines.backends.outlines_core import OutlinesCoreBackend
        from outlines.models.transformers import TransformerTokenizer

        tokenizer = loaded.tokenizer
        self._vocabulary = OutlinesCoreBackend.create_outlines_core_vocabulary(
            tokenizer.get_vocab(),
            tokenizer.eos_token_id,
            tokenizer.eos_token,
            TransformerTokenizer(tokenizer).convert_token_to_string,
        )
        self._vocab = loaded.model.config.vocab_size

    def compile(self, schema: dict[str, Any]) -> Any:
        from outlines_core import Index
        from outlines_core.json_schema import build_regex_from_schema

        return Index(build_regex_from_schema(json.dumps(schema), r"[ ]?"), self._vocabulary)

    def matcher(self, compiled: Any) -> RowMatcher:
        from outlines_core import Guide
        from outlines_core.kernels.torch import (
            allocate_token_bitmask,
            apply_token_bitmask_inplace,
            fill_next_token_bitmask,
        )

        guide = Guide(compiled)
        bitmask = allocate_token_bitmask(self._vocab)

        class Row:
            def mask(self, logits: torch.Tensor) -> None:
                fill_next_token_bitmask(guide, bitmask)
                apply_token_bitmask_inplace(logits[None], bitmask)

            def accept(self, token: int) -> None:
                if not guide.is_finished():
                    guide.advance(token_id=token, return_tokens=False)

        return Row()


# --- lm-format-enforcer -----------------------------------------------------------------


class LMFormatEnforcer:
    name = "lm-format-enforcer"

    def __init__(self, loaded: LoadedModel) -> None:
        from lmformatenforcer.tokenenforcer import TokenEnforcerTokenizerData

        # lmformatenforcer.integrations.transformers fails to import on transformers 5
        # (transformers.tokenization_utils moved); this is its builder, inlined.
        tokenizer = loaded.tokenizer
        vocab = loaded.model.config.vocab_size
        zero = tokenizer.encode("0")[-1]
        special = set(tokenizer.all_special_ids)
        regular = []
        for token in range(vocab):
            if token in special:
                continue
            after_zero = tokenizer.decode([zero, token])[1:]
            regular.append((token, after_zero, len(after_zero) > len(tokenizer.decode([token]))))
        decode = functools.partial(_decode_rstrip, tokenizer)
        self._data = TokenEnforcerTokenizerData(
            regular, decode, tokenizer.eos_token_id, False, vocab
        )

    def compile(self, schema: dict[str, Any]) -> Any:
        from lmformatenforcer import JsonSchemaParser, TokenEnforcer

        enforcer = TokenEnforcer(self._data, JsonSchemaParser(schema))
        enforcer.get_allowed_tokens([])  # the first mask is where the parser is built
        return schema

    def matcher(self, compiled: Any) -> RowMatcher:
        from lmformatenforcer import JsonSchemaParser, TokenEnforcer

        enforcer = TokenEnforcer(self._data, JsonSchemaParser(compiled))
        generated: list[int] = []

        class Row:
            def mask(self, logits: torch.Tensor) -> None:
                allowed = enforcer.get_allowed_tokens(generated).allowed_tokens
                keep = logits[allowed].clone()
                logits.fill_(float("-inf"))
                logits[allowed] = keep

            def accept(self, token: int) -> None:
                generated.append(token)

        return Row()


def _decode_rstrip(tokenizer: Any, tokens: list[int]) -> str:
    return str(tokenizer.decode(tokens)).rstrip("\ufffd")


# --- transformers-cfg -------------------------------------------------------------------


JSON_GBNF = r"""
root ::= object
value ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ( string ":" value ( "," string ":" value )* )? "}"
array ::= "[" ( value ( "," value )* )? "]"
string ::= "\"" ( [^"\\] | "\\" ["\\/bfnrt] )* "\""
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
"""


class TransformersCFG:
    """No JSON Schema front end (and xgrammar's EBNF does not parse in it): it gets a
    generic JSON grammar, so it guarantees JSON but not the schema."""

    name = "transformers-cfg (JSON only)"

    def __init__(self, loaded: LoadedModel) -> None:
        self._tokenizer = loaded.tokenizer

    def compile(self, schema: dict[str, Any]) -> Any:
        from transformers_cfg.grammar_utils import IncrementalGrammarConstraint

        return IncrementalGrammarConstraint(JSON_GBNF, "root", self._tokenizer)

    def matcher(self, compiled: Any) -> RowMatcher:
        from transformers_cfg.generation.logits_process import GrammarConstrainedLogitsProcessor

        processor = GrammarConstrainedLogitsProcessor(compiled, valid_token_start_idx=1)
        seen = [0]  # a dummy first id: the processor reads its state from the whole row

        class Row:
            def mask(self, logits: torch.Tensor) -> None:
                logits.copy_(processor(torch.tensor([seen]), logits[None])[0])

            def accept(self, token: int) -> None:
                seen.append(token)

        return Row()


ENGINES: list[Callable[[LoadedModel], Engine]] = [
    XGrammar,
    LLGuidance,
    OutlinesCore,
    LMFormatEnforcer,
    TransformersCFG,
]


# --- measurement ------------------------------------------------------------------------


@dataclass
class Run:
    """Totals over the schemas for one engine (or unconstrained decoding)."""

    name: str
    setup_s: float = 0.0
    compile_ms: list[float] = field(default_factory=list)
    valid: int = 0
    tokens: int = 0
    decode_s: float = 0.0
    mask_s: float = 0.0
    invalid: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def tokens_per_s(self) -> float:
        """Generated tokens per second of the token loop (prompt prefill excluded)."""
        return self.tokens / self.decode_s if self.decode_s else 0.0

    @property
    def mask_us(self) -> float:
        """Mean grammar cost per token (mask + accept), microseconds."""
        return 1e6 * self.mask_s / self.tokens if self.tokens else 0.0


def decode(loaded: LoadedModel, prompt: list[int], row: RowMatcher | None, run: Run) -> str:
    """Greedy decoding of one row, masked by `row` if given; adds to `run`'s totals."""
    decoder = Decoder(loaded, [prompt])
    logits = decoder.prompt_logits().clone()
    started = time.perf_counter()
    out: list[int] = []
    for _ in range(MAX_NEW):
        if row is not None:
            mask_started = time.perf_counter()
            row.mask(logits[0])
            run.mask_s += time.perf_counter() - mask_started
        token = logits.argmax(dim=-1)
        out.append(int(token[0]))
        if out[-1] in loaded.eos_ids:
            break
        if row is not None:
            mask_started = time.perf_counter()
            row.accept(out[-1])
            run.mask_s += time.perf_counter() - mask_started
        logits = decoder.feed(token).clone()
    run.decode_s += time.perf_counter() - started
    run.tokens += len(out)
    return str(loaded.tokenizer.decode(out, skip_special_tokens=True))


def measure(chat: LocalChatModel, make: Callable[[LoadedModel], Engine] | None) -> Run:
    """Compile, then decode every schema's prompt; count valid outputs and tokens/s."""
    loaded = chat.loaded
    name = getattr(make, "name", "unconstrained")
    started = time.perf_counter()
    try:
        engine = make(loaded) if make is not None else None
    except Exception as exc:  # noqa: BLE001 - a bench reports any engine failure
        return Run(name, error=f"{exc!r}"[:160])
    run = Run(name, time.perf_counter() - started)
    for label, open_schema, request in SCHEMAS:
        schema = closed_objects(open_schema)  # as in OpenAI's strict mode, for every engine
        prompt = chat.prompt_ids(messages_for(open_schema, request))
        row = None
        if engine is not None:
            try:
                compile_started = time.perf_counter()
                compiled = engine.compile(schema)
                run.compile_ms.append(1000 * (time.perf_counter() - compile_started))
                row = engine.matcher(compiled)
            except Exception as exc:  # noqa: BLE001
                run.error = f"{exc!r}"[:160]
                return run
        text = decode(loaded, prompt, row, run)
        if is_valid(text, schema):
            run.valid += 1
        else:
            run.invalid.append(f"{label}: {text[:70]!r}")
    return run


def structured_vs_plain(chat: LocalChatModel) -> tuple[Run, Run]:
    """agentkit's path, `with_structured_output(schema)`, against plain `invoke` of the very
    prompt it builds (whole calls: prompt prefill included)."""
    constrained, plain = Run("with_structured_output"), Run("invoke (unconstrained)")
    for _, schema, request in SCHEMAS:
        question = [HumanMessage(request)]
        structured = chat.with_structured_output(schema, include_raw=True, max_retries=0)
        started = time.perf_counter()
        result = structured.invoke(question)
        constrained.decode_s += time.perf_counter() - started
        constrained.tokens += result["raw"].usage_metadata["output_tokens"]
        constrained.valid += result["parsing_error"] is None
        started = time.perf_counter()
        reply = chat.invoke(with_instruction(question, OutputSchema.of(schema)))
        plain.decode_s += time.perf_counter() - started
        plain.tokens += reply.usage_metadata["output_tokens"]
        plain.valid += is_valid(str(reply.content), schema)
    return constrained, plain


def side_by_side(runs: tuple[Run, Run]) -> Table:
    """Constrained and unconstrained generation through LocalChatModel, same prompts."""
    table = Table(title="LocalChatModel: structured output vs plain invoke, same prompts")
    for column in ("path", "valid", "tokens", "seconds", "tok/s (incl. prefill)"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for run in runs:
        table.add_row(
            run.name,
            f"{run.valid}/{len(SCHEMAS)}",
            str(run.tokens),
            f"{run.decode_s:.1f}",
            f"{run.tokens_per_s:.1f}",
        )
    return table


def engine_table(runs: list[Run]) -> Table:
    """The engine comparison, unconstrained decoding first."""
    table = Table(title=f"Grammar engines: {len(SCHEMAS)} JSON schemas, SmolLM2-135M, greedy")
    columns = ("engine", "setup s", "compile ms mean/max", "valid", "tokens", "tok/s", "µs/token")
    for column in columns:
        table.add_column(column, justify="left" if column == "engine" else "right")
    for run in runs:
        if run.error:
            table.add_row(run.name, "-", "-", "failed", "-", "-", "-")
            continue
        compile_ms = run.compile_ms or [0.0]
        table.add_row(
            run.name,
            f"{run.setup_s:.2f}",
            f"{sum(compile_ms) / len(compile_ms):.1f} / {max(compile_ms):.1f}",
            f"{run.valid}/{len(SCHEMAS)}",
            str(run.tokens),
            f"{run.tokens_per_s:.1f}",
            f"{run.mask_us:.0f}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    console = Console()
    chat = LocalChatModel(max_tokens=MAX_NEW)
    chat.invoke("Hi", max_tokens=2)  # warm-up
    runs = [measure(chat, make) for make in [None, *ENGINES]]
    console.print(engine_table(runs))
    for run in runs:
        for problem in [run.error, *run.invalid]:
            if problem:
                console.print(f"  {run.name}: {problem}")
    console.print(side_by_side(structured_vs_plain(chat)))


if __name__ == "__main__":
    main()
