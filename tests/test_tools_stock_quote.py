"""The `stock_quote` tool against a local server answering in Stooq's JSON quote format."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
from fake_apis import FakeApi, Reply, refused_url, stooq, tool_module

from agentkit.net import BACKOFF_ENV, RETRIES_ENV, TIMEOUT_ENV

stock_tools = tool_module("stock_quote")
stock_quote = stock_tools.stock_quote

QUOTES = {
    "aapl.us": {"symbol": "AAPL.US", "date": "2026-11-27", "time": "22:00:12", "open": 187.2, "high": 190.1,
                "low": 186.9, "close": 189.84, "volume": 41234000, "name": "APPLE"},
    "bmw.de": {"symbol": "BMW.DE", "date": "2026-11-27", "time": "17:35:01", "open": 78.5, "high": 79.12,
               "low": 77.9, "close": 78.96, "volume": 1203311, "name": "BMW"},
    "^spx": {"symbol": "^SPX", "date": "2026-11-27", "time": "22:15:00", "open": 6012.3, "high": 6040.0,
             "low": 6001.5, "close": 6032.7, "name": "S&P500"},
}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """A Stooq-like server, the tool pointed at it, fast retries and a short timeout."""
    with FakeApi({"/q/l/": stooq(QUOTES)}) as server:
        monkeypatch.setenv(stock_tools.STOCK_ENV, server.url)
        monkeypatch.setenv(TIMEOUT_ENV, "0.3")
        monkeypatch.setenv(RETRIES_ENV, "2")
        monkeypatch.setenv(BACKOFF_ENV, "0.01")
        yield server


def test_us_ticker(api: FakeApi) -> None:
    assert stock_quote.invoke({"symbol": "AAPL"}) == (
        "AAPL.US (APPLE): 189.84 USD (last 2026-11-27 22:00:12, open 187.2, high 190.1, low 186.9, "
        "volume 41,234,000; Stooq)"
    )
    assert api.hits[0].query == {"s": "aapl.us", "f": "sd2t2ohlcvn", "h": "", "e": "json"}


def test_other_markets_and_indices(api: FakeApi) -> None:
    assert stock_quote.invoke({"symbol": " bmw.DE "}).startswith("BMW.DE (BMW): 78.96 EUR (last 2026-11-27 17:35:01")
    assert stock_quote.invoke({"symbol": "^SPX"}) == (  # no currency known, no volume given
        "^SPX (S&P500): 6032.7 (last 2026-11-27 22:15:00, open 6012.3, high 6040.0, low 6001.5; Stooq)")


def test_fetch_quote_returns_data(api: FakeApi) -> None:
    quote = stock_tools.fetch_quote("aapl")
    assert quote == stock_tools.Quote(symbol="AAPL.US", name="APPLE", date=date(2026, 11, 27), time="22:00:12",
                                      open=187.2, high=190.1, low=186.9, close=189.84, volume=41234000,
                                      currency="USD")


def test_unknown_symbol(api: FakeApi) -> None:
    assert stock_quote.invoke({"symbol": "ZZZQ"}) == (
        "Stooq has no quote for 'ZZZQ' (asked for 'zzzq.us'); check the ticker, and add the market for "
        "shares outside the US, e.g. 'BMW.DE' or '7203.JP'"
    )
    api.queue("/q/l/", Reply(body={"symbols": [{"symbol": "ZZZQ.US"}]}))  # fields left out instead of N/D
    assert stock_quote.invoke({"symbol": "ZZZQ"}).startswith("Stooq has no quote for 'ZZZQ'")
    api.queue("/q/l/", Reply(body={"symbols": []}))
    assert stock_quote.invoke({"symbol": "ZZZQ"}).startswith("Stooq has no quote for 'ZZZQ'")


def test_invalid_symbol_is_not_sent(api: FakeApi) -> None:
    assert stock_quote.invoke({"symbol": "apple inc"}) == (
        "'apple inc' is not a ticker symbol; use letters, digits and dots such as 'AAPL', 'BMW.DE' or '^SPX'")
    assert stock_quote.invoke({"symbol": ["AAPL"]}).startswith(
        "invalid arguments for stock_quote: symbol: Input should be a valid string")
    assert api.hits == []


def test_5xx_is_retried(api: FakeApi) -> None:
    api.queue("/q/l/", Reply(503, "Service Unavailable", "text/plain"), Reply(500, "", "text/plain"))
    assert stock_quote.invoke({"symbol": "AAPL"}).startswith("AAPL.US (APPLE): 189.84 USD")
    assert api.count("/q/l/") == 3


def test_persistent_5xx_is_reported(api: FakeApi) -> None:
    api.queue("/q/l/", *[Reply(503, "Service Unavailable", "text/plain")] * 3)
    assert stock_quote.invoke({"symbol": "AAPL"}) == (
        f"Stooq quotes: HTTP 503 Service Unavailable (tried 3 times): Service Unavailable "
        f"({api.url}/q/l/?s=aapl.us&f=sd2t2ohlcvn&h=&e=json); the service is failing; try again later"
    )
    assert api.count("/q/l/") == 3


def test_garbage_and_unreadable_values(api: FakeApi) -> None:
    api.queue("/q/l/", Reply(200, "Przekroczony dzienny limit wywolan", "text/plain"))
    assert stock_quote.invoke({"symbol": "AAPL"}).startswith(
        "Stooq quotes: answered with a body that is not JSON: Przekroczony dzienny limit wywolan (")
    api.queue("/q/l/", Reply(body={"symbols": [{**QUOTES["aapl.us"], "close": "soon"}]}))
    assert stock_quote.invoke({"symbol": "AAPL"}).startswith(
        "Stooq quotes: answered a quote that cannot be read: close: Input should be a valid number")
    api.queue("/q/l/", Reply(body=[1, 2, 3]))
    assert stock_quote.invoke({"symbol": "AAPL"}).startswith("Stooq quotes: answered JSON of an unexpected shape")


def test_hanging_service_times_out(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RETRIES_ENV, "0")
    api.queue("/q/l/", Reply(hang=True))
    start = time.monotonic()
    assert stock_quote.invoke({"symbol": "AAPL"}).startswith("Stooq quotes: no answer within 0.3 s (tried once)")
    assert time.monotonic() - start < 2


def test_unreachable_service(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(stock_tools.STOCK_ENV, refused_url())
    assert stock_quote.invoke({"symbol": "AAPL"}).startswith("Stooq quotes: unreachable (tried 3 times)")
