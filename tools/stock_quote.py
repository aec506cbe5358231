"""`stock_quote`: the latest quote of a share, index or fund from Stooq (keyless).

Reads `GET {AGENTKIT_STOCK_URL}/q/l/?s=aapl.us&f=sd2t2ohlcvn&h&e=json`, which answers
`{"symbols": [{"symbol", "date", "time", "open", "high", "low", "close", "volume", "name"}]}`
with "N/D" (or no) values for a symbol Stooq does not know. The base URL is read at
call time (default https://stooq.com); timeouts and retries from `agentkit.net`'s env vars.
"""

from __future__ import annotations

import os
import re
from datetime import date

from langchain_core.tools import ToolException, tool
from pydantic import BaseModel, ValidationError

from agentkit.errors import AgentkitError
from agentkit.net import ServiceError, get_json
from agentkit.tooling import forgiving

STOCK_ENV = "AGENTKIT_STOCK_URL"
STOCK_URL = "https://stooq.com"
SERVICE = "Stooq quotes"
FIELDS = "sd2t2ohlcvn"  # symbol, date, time, open, high, low, close, volume, name
SYMBOL = re.compile(r"\^?[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
# Stooq's market suffixes whose quotes are in one known currency.
CURRENCIES = {"us": "USD", "de": "EUR", "jp": "JPY", "hk": "HKD"}


class Quote(BaseModel):
    """The latest quote Stooq has for one symbol."""

    symbol: str
    name: str | None
    date: date
    time: str | None
    open: float
    high: float
    low: float
    close: float
    volume: int | None
    currency: str | None

    def text(self) -> str:
        """A one-line summary built only from the data."""
        who = f"{self.symbol} ({self.name})" if self.name else self.symbol
        price = f"{self.close} {self.currency}" if self.currency else f"{self.close}"
        when = f"{self.date.isoformat()} {self.time}" if self.time else self.date.isoformat()
        volume = f", volume {self.volume:,}" if self.volume is not None else ""
        return (f"{who}: {price} (last {when}, open {self.open}, high {self.high}, low {self.low}"
                f"{volume}; Stooq)")


class _Answer(BaseModel):
    symbols: list[dict[str, str | float | int | None]]


def stooq_symbol(symbol: str) -> str:
    """Stooq's spelling of `symbol`: lowercase, US market (`.us`) when no market is given."""
    text = symbol.strip()
    if not SYMBOL.fullmatch(text):
        raise ToolException(
            f"{symbol!r} is not a ticker symbol; use letters, digits and dots such as 'AAPL', 'BMW.DE' or '^SPX'"
        )
    text = text.lower()
    return text if "." in text or text.startswith("^") else f"{text}.us"


def fetch_quote(symbol: str) -> Quote:
    """The latest quote for `symbol` ('AAPL' means AAPL.US).

    Raises ToolException for an invalid or unknown symbol, and `agentkit.net.ServiceError`
    when Stooq cannot be used.
    """
    wanted = stooq_symbol(symbol)
    url = f"{(os.environ.get(STOCK_ENV) or STOCK_URL).rstrip('/')}/q/l/"
    answer = get_json(url, {"s": wanted, "f": FIELDS, "h": "", "e": "json"}, service=SERVICE, expect=_Answer)
    row = answer.symbols[0] if answer.symbols else {}
    known = {key: value for key, value in row.items() if value not in (None, "N/D", "")}
    if "close" not in known or "date" not in known:
        raise ToolException(
            f"Stooq has no quote for {symbol.strip()!r} (asked for {wanted!r}); check the ticker, and add "
            f"the market for shares outside the US, e.g. 'BMW.DE' or '7203.JP'"
        )
    try:
        return Quote.model_validate({
            "name": None, "time": None, "volume": None, **known,
            "symbol": str(known.get("symbol", wanted.upper())),
            "currency": CURRENCIES.get(wanted.rpartition(".")[2]),
        })
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ServiceError(
            SERVICE, url, f"answered a quote that cannot be read: {error['loc'][0]}: {error['msg']}",
            "the service's format may have changed, or the base URL points to another service",
        ) from None


@tool(parse_docstring=True)
def stock_quote(symbol: str) -> str:
    """Latest stock quote (price, open, high, low, volume) from Stooq.

    Args:
        symbol: ticker: 'AAPL' for US shares, with Stooq's market suffix otherwise ('BMW.DE',
            '7203.JP'), '^SPX' for indices.
    """
    try:
        return fetch_quote(symbol).text()
    except AgentkitError as exc:
        raise ToolException(str(exc)) from None


forgiving(stock_quote)
