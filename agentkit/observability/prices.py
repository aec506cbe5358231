"""The workspace's token prices as Phoenix models, so Phoenix prices agentkit's LLM spans and
its trace view shows what a run cost. Phoenix derives a span's cost from its token counts
and the custom model (Settings > Models) whose name pattern matches `llm.model_name`; this
creates or updates one model per priced entry of `agentkit.yaml` (named `agentkit:<id>`).
Prices per CPU-second have no Phoenix equivalent: they stay in agentkit's telemetry. Phoenix reads its
model prices every 5 s: a span it receives sooner after a registration goes unpriced."""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from agentkit.observability.headers import exporter_headers
from agentkit.observability.tracing import phoenix_base_url
from agentkit.workspace_config import Price

_log = logging.getLogger(__name__)
_MODELS = "query { generativeModels { edges { node { id name } } } }"
_CREATE = """mutation($input: CreateModelMutationInput!) { createModel(input: $input) { model { id } } }"""
_UPDATE = """mutation($input: UpdateModelMutationInput!) { updateModel(input: $input) { model { id } } }"""


def name_pattern(model_id: str) -> str:
    """The regex of the span model names an `agentkit.yaml` price key stands for: a pattern
    key as a glob, a model id also with its `-Instruct` and quantization suffixes
    (`smollm2-135m` prices `SmolLM2-135M-Instruct.Q4_1`)."""
    if any(c in model_id for c in "*?["):
        return "(?i)" + fnmatch.translate(model_id)
    return rf"(?i)^{re.escape(model_id)}(-instruct)?([.-][A-Za-z0-9_]+)?$"


def register_prices(prices: Mapping[str, Price], model_names: Sequence[str] = (), endpoint: str | None = None,
                    timeout: float = 5.0) -> list[str]:
    """Create or update a Phoenix model per token-priced entry; the names registered. Fails
    soft (a warning): pricing must never keep a server from starting."""
    priced = {key: price for key, price in prices.items() if price.input or price.output}
    if not priced:
        return []
    url = f"{phoenix_base_url(endpoint)}/graphql"
    try:
        with httpx.Client(timeout=timeout, headers=exporter_headers()) as client:
            existing = {edge["node"]["name"]: edge["node"]["id"]
                        for edge in _query(client, url, _MODELS, {})["generativeModels"]["edges"]}
            for key, price in priced.items():
                name = f"agentkit:{key}"
                fields: dict[str, Any] = {"name": name, "namePattern": name_pattern(key), "costs": [
                    {"tokenType": "input", "costPerMillionTokens": price.input, "kind": "PROMPT"},
                    {"tokenType": "output", "costPerMillionTokens": price.output, "kind": "COMPLETION"}]}
                if name in existing:
                    _query(client, url, _UPDATE, {"input": {**fields, "id": existing[name], "provider": None}})
                else:
                    _query(client, url, _CREATE, {"input": fields})
    except (httpx.HTTPError, KeyError, RuntimeError) as exc:
        _log.warning("could not register token prices in Phoenix at %s (%s); spans go unpriced there", url, exc)
        return []
    unmatched = [n for n in model_names if not any(re.match(name_pattern(k), n) for k in priced)]
    if unmatched:
        _log.info("no token price in agentkit.yaml matches %s; Phoenix shows no cost for it", ", ".join(unmatched))
    return [f"agentkit:{key}" for key in priced]


def _query(client: httpx.Client, url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url, json={"query": query, "variables": variables})
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise RuntimeError("; ".join(e.get("message", str(e)) for e in body["errors"]))
    return body["data"]
