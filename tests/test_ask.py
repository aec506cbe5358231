"""`agentkit ask`: the tool agent with the real local model answers from local API servers' data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_apis import FakeApi, forecast, geocoding, stooq
from test_tools_stock_quote import QUOTES
from test_tools_weather import STATIONS, ZURICH

from agentkit.models.gguf_cache import CACHE_ENV

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(workspace: Path) -> Iterator[dict[str, str]]:
    """Local Open-Meteo and Stooq servers, and a workspace with the shipped graphs and tools."""
    shutil.copytree(REPO / "graphs", workspace / "graphs", dirs_exist_ok=True)
    shutil.copytree(REPO / "tools", workspace / "tools", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    with (FakeApi({"/v1/search": geocoding({"zurich": [ZURICH]})}) as geo,
          FakeApi({"/v1/forecast": forecast(STATIONS)}) as meteo,
          FakeApi({"/q/l/": stooq(QUOTES)}) as stocks):
        yield {"PATH": os.environ["PATH"], CACHE_ENV: os.environ[CACHE_ENV], "AGENTKIT_WORKSPACE": str(workspace),
               "AGENTKIT_GEOCODING_URL": geo.url, "AGENTKIT_OPEN_METEO_URL": meteo.url,
               "AGENTKIT_STOCK_URL": stocks.url}


def ask(env: dict[str, str], question: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agentkit", "ask", question, "--show-calls", "--no-trace"],
                          capture_output=True, text=True, env=env, cwd=env["AGENTKIT_WORKSPACE"], timeout=300)


def test_weather_question_is_answered_with_the_local_servers_numbers(env: dict[str, str]) -> None:
    done = ask(env, "What's the weather in Zurich?")
    assert done.returncode == 0, done.stderr
    assert "→ weather(city='Zurich'" in done.stdout
    assert "Zurich, Switzerland: 14.2 °C, wind 11.0 km/h" in done.stdout and "(Open-Meteo)" in done.stdout


def test_stock_question_is_answered_with_the_local_servers_quote(env: dict[str, str]) -> None:
    done = ask(env, "What is the stock price of AAPL?")
    assert done.returncode == 0, done.stderr
    assert "→ stock_quote(symbol=" in done.stdout
    assert "189.84 USD" in done.stdout


def test_shipped_tool_calls_adapter_writes_the_questions_own_numbers_and_units(env: dict[str, str]) -> None:
    """Neither question is in the adapter's training data (own_tool_calls.HELD_OUT_QUESTIONS)."""
    done = ask(env, "Convert 5 km to miles.")
    assert done.returncode == 0, done.stderr
    assert "→ unit_convert(value=5, from_unit='km', to_unit=" in done.stdout and "5 km = 3.106855961 mi" in done.stdout
    done = ask(env, "What is 12 times 7?")
    assert done.returncode == 0, done.stderr
    assert "→ calculator(expression='12 * 7')" in done.stdout and done.stdout.rstrip().endswith("84")
    assert "gemm_4bit" not in done.stderr and "is_gradient_checkpointing" not in done.stderr
