"""Real HTTP servers on 127.0.0.1 that answer like Open-Meteo and Stooq, for tool tests.

`FakeApi` serves routes (path -> handler of the query) on a free loopback port, records
every request, can queue scripted replies (a 500, garbage) ahead of a route's handler,
and can hang a request until the server stops. `refused_url()` is a URL nobody listens on;
`tool_module()` imports a file of the repo's `tools/` as the registry does.
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import sys
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@dataclass(frozen=True)
class Reply:
    """One answer: JSON for dicts and lists, raw text otherwise; `hang` never answers."""

    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    hang: bool = False

    def encoded(self) -> bytes:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, ensure_ascii=False).encode()
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else str(self.body).encode()


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    path: str
    query: dict[str, str]


Handler = Callable[[dict[str, str]], Reply]


@dataclass
class FakeApi:
    """A ThreadingHTTPServer in a thread; use as a context manager, or `start()`/`stop()`."""

    routes: dict[str, Handler]
    hits: list[Hit] = field(default_factory=list)
    _queued: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def queue(self, path: str, *replies: Reply) -> None:
        """Serve `replies` in order for `path` before its handler answers again."""
        self._queued[path].extend(replies)

    def count(self, path: str) -> int:
        """How many requests `path` received."""
        return sum(hit.path == path for hit in self.hits)

    def start(self) -> FakeApi:
        api = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                api.hits.append(Hit(parts.path, query))
                reply = api._reply(parts.path, query)
                if reply.hang:
                    api._stopping.wait()
                    return
                body = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read `hits` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _reply(self, path: str, query: dict[str, str]) -> Reply:
        if self._queued[path]:
            return self._queued[path].popleft()
        handler = self.routes.get(path)
        if handler is None:
            return Reply(404, "<html><body>Not Found</body></html>", "text/html")
        return handler(query)


def refused_url() -> str:
    """A loopback URL on a port that was free a moment ago (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def tool_module(stem: str) -> ModuleType:
    """`tools/<stem>.py`, imported under the module name the registry gives it."""
    name = f"agentkit_workspace_tools.{stem}"
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# -- Open-Meteo ---------------------------------------------------------------------

def open_meteo_error(reason: str) -> Reply:
    """Open-Meteo's error answer: HTTP 400 with `{"error": true, "reason": ...}`."""
    return Reply(400, {"error": True, "reason": reason})


def geocoding(places: Mapping[str, list[dict[str, Any]]]) -> Handler:
    """`/v1/search` of geocoding-api.open-meteo.com over `places` (lowercase name -> results).

    As the real API, a search without matches has no `results` key at all.
    """

    def search(query: dict[str, str]) -> Reply:
        if "name" not in query:
            return open_meteo_error("Parameter 'name' is required")
        body: dict[str, Any] = {"generationtime_ms": 0.61}
        matches = places.get(query["name"].strip().lower(), [])[: int(query.get("count", "10"))]
        if matches:
            body["results"] = matches
        return Reply(body=body)

    return search


@dataclass(frozen=True)
class Station:
    """Weather at one coordinate: current values and up to 16 days of daily values."""

    timezone: str
    current: dict[str, float | int]
    daily: dict[str, list[Any]]  # "time" (ISO dates) and one list per daily variable


UNITS = {"temperature_2m": "°C", "wind_speed_10m": "km/h", "weather_code": "wmo code",
         "temperature_2m_max": "°C", "temperature_2m_min": "°C", "precipitation_sum": "mm"}


def forecast(stations: Mapping[tuple[float, float], Station]) -> Handler:
    """`/v1/forecast` of api.open-meteo.com: only the requested variables, `forecast_days` days."""

    def answer(query: dict[str, str]) -> Reply:
        try:
            where = (float(query["latitude"]), float(query["longitude"]))
        except (KeyError, ValueError):
            return open_meteo_error("Parameter 'latitude' and 'longitude' must be floating point numbers")
        days = int(query.get("forecast_days", "7"))
        if not 0 <= days <= 16:
            return open_meteo_error("Forecast days is invalid. Allowed range 0 to 16.")
        station = stations[where]
        body: dict[str, Any] = {
            "latitude": where[0], "longitude": where[1], "generationtime_ms": 0.08,
            "utc_offset_seconds": 3600, "timezone": station.timezone, "timezone_abbreviation": "GMT+1",
            "elevation": 408.0,
        }
        sections: dict[str, dict[str, Any]] = {
            "current": {"time": "2026-11-28T14:15", "interval": 900, **station.current},
            "daily": {name: values[:days] for name, values in station.daily.items()},
        }
        for section, values in sections.items():
            names = [name for name in query.get(section, "").split(",") if name]
            unknown = [name for name in names if name not in values]
            if unknown:
                return open_meteo_error(
                    f"Cannot initialize WeatherVariable from invalid String value {unknown[0]} for key {section}"
                )
            if names:
                fixed = {"time": "iso8601", **({"interval": "seconds"} if section == "current" else {})}
                body[f"{section}_units"] = {**fixed, **{name: UNITS[name] for name in names}}
                body[section] = {name: values[name] for name in [*fixed, *names]}
        return Reply(body=body)

    return answer


# -- Stooq --------------------------------------------------------------------------

STOOQ_FIELDS = {"s": "symbol", "d2": "date", "t2": "time", "o": "open", "h": "high", "l": "low",
                "c": "close", "v": "volume", "n": "name"}


def stooq(quotes: Mapping[str, dict[str, Any]]) -> Handler:
    """`/q/l/` of stooq.com with `e=json`: `{"symbols": [...]}` with the fields `f` asks for.

    `quotes` maps lowercase Stooq symbols (`aapl.us`) to full rows; an unknown symbol
    gets a row of "N/D" values, as the real service answers.
    """

    def answer(query: dict[str, str]) -> Reply:
        if query.get("e") != "json":
            return Reply(200, "Brak danych", "text/plain")
        wanted = [STOOQ_FIELDS[code] for code in re.findall(r"[a-z]\d?", query.get("f", "sd2t2ohlcv"))]
        rows = []
        for symbol in query.get("s", "").lower().split(","):
            row = quotes.get(symbol, {"symbol": symbol.upper()})
            rows.append({name: row.get(name, "N/D") for name in wanted})
        return Reply(body={"symbols": rows})

    return answer
