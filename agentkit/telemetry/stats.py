"""`agentkit stats`: telemetry summed up per group (p50/p95 latency, time to first token,
tokens, cost, error rate), and an HTML page plotting them over time. Grouped by graph it
counts graph runs; by model, prompt, adapter or key it counts model calls."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np

from agentkit import plots
from agentkit.errors import ConfigError
from agentkit.telemetry.records import GROUPS, CallRecord

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: float | None = None) -> float:
    """`--since`: a span back from now (`90s`, `30m`, `1h`, `7d`, `2w`) or an ISO date/time."""
    now = time.time() if now is None else now
    if match := _SPAN.match(text.strip()):
        return now - float(match.group(1)) * _SECONDS[match.group(2)]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise ConfigError(f"--since {text!r}: give a span back from now (90s, 30m, 1h, 7d, 2w) or an ISO date "
                          f"such as 2026-12-07 or 2026-12-07T14:30") from None


def counted(records: Sequence[CallRecord], by: str) -> list[CallRecord]:
    """The records `--by by` counts: graph runs by graph, model calls (those inside graph
    runs too) by anything else, so no token or cost is counted twice."""
    if by not in GROUPS:
        raise ConfigError(f"--by {by!r}: group by one of {', '.join(GROUPS)}")
    kind = "graph" if by == "graph" else "model"
    return [r for r in records if r.kind == kind]


def group_of(record: CallRecord, by: str) -> str:
    return getattr(record, by) or "-"


@dataclass(frozen=True)
class GroupStats:
    """One group's figures."""

    group: str
    calls: int
    errors: int
    error_rate: float
    latency_p50: float
    latency_p95: float
    first_token_p50: float | None
    input_tokens: int
    output_tokens: int
    cost: float


def summarize(records: Sequence[CallRecord], by: str) -> list[GroupStats]:
    """Figures per group, most calls first."""
    groups: dict[str, list[CallRecord]] = {}
    for record in counted(records, by):
        groups.setdefault(group_of(record, by), []).append(record)
    return sorted((_figures(name, members) for name, members in groups.items()), key=lambda g: (-g.calls, g.group))


def _figures(name: str, members: list[CallRecord]) -> GroupStats:
    latencies = np.array([r.latency_s for r in members])
    firsts = [r.first_token_s for r in members if r.first_token_s is not None]
    errors = sum(r.status == "error" for r in members)
    return GroupStats(
        group=name, calls=len(members), errors=errors, error_rate=errors / len(members),
        latency_p50=float(np.percentile(latencies, 50)), latency_p95=float(np.percentile(latencies, 95)),
        first_token_p50=float(np.percentile(firsts, 50)) if firsts else None,
        input_tokens=sum(r.input_tokens for r in members), output_tokens=sum(r.output_tokens for r in members),
        cost=sum(r.cost for r in members))


def as_json(stats: Sequence[GroupStats], by: str, since: float) -> dict:
    return {"by": by, "since": since, "groups": [asdict(s) for s in stats]}


def write_html(records: Sequence[CallRecord], stats: Sequence[GroupStats], by: str, path: Path) -> None:
    """A page with the figures table and, per group, latency, tokens and cost over time."""
    rows = "".join(
        f"<tr><td>{escape(s.group)}</td><td>{s.calls}</td><td>{s.error_rate:.1%}</td><td>{s.latency_p50:.3f}</td>"
        f"<td>{s.latency_p95:.3f}</td><td>{'' if s.first_token_p50 is None else f'{s.first_token_p50:.3f}'}</td>"
        f"<td>{s.input_tokens}</td><td>{s.output_tokens}</td><td>{s.cost:.6f}</td></tr>" for s in stats)
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>agentkit stats</title><style>{_STYLE}</style>"
            f"</head><body><h1>agentkit stats by {escape(by)}</h1><p>{len(records)} calls.</p>"
            "<table><tr><th>group</th><th>calls</th><th>errors</th><th>p50 s</th><th>p95 s</th><th>first token p50 s"
            f"</th><th>tokens in</th><th>tokens out</th><th>cost $</th></tr>{rows}</table>"
            f"{_over_time(records, [s.group for s in stats], by) if records else ''}</body></html>")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--html {path}: cannot write it ({exc.strerror}); choose a writable path") from None


_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}td:first-child{text-align:left}")


def _over_time(records: Sequence[CallRecord], groups: list[str], by: str) -> str:
    figure = plots.figure(figsize=(10, 8))
    latency, tokens, cost = figure.subplots(3, 1, sharex=True)
    for group in groups[:10]:
        members = [r for r in counted(records, by) if group_of(r, by) == group]
        when = [datetime.fromtimestamp(r.ts) for r in members]
        latency.plot(when, [r.latency_s for r in members], ".", label=group)
        tokens.plot(when, np.cumsum([r.input_tokens + r.output_tokens for r in members]), label=group)
        cost.plot(when, np.cumsum([r.cost for r in members]), label=group)
    latency.set(ylabel="latency (s)", yscale="log")
    tokens.set(ylabel="tokens (cumulative)")
    cost.set(ylabel="cost $ (cumulative)")
    for axes in (latency, tokens, cost):
        axes.grid(alpha=0.3)
    latency.legend(loc="upper left", fontsize="small")
    return "<h2>Over time</h2>" + plots.svg(figure)
