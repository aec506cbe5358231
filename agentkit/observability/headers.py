"""HTTP headers for span exports to a Phoenix that requires auth, from the env as phoenix.otel reads them.

``PHOENIX_CLIENT_HEADERS`` is a W3C-baggage-style list ``name=value,name2=value2`` (names and
values URL-encoded); ``PHOENIX_API_KEY`` becomes ``authorization: Bearer <key>`` and wins over
an ``authorization`` there. With either set, ``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` /
``OTEL_EXPORTER_OTLP_HEADERS`` still apply underneath; with neither, the exporter reads those
itself. Values never appear in error messages: they are often secrets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import unquote

from opentelemetry.util.re import parse_env_headers

from agentkit.errors import ConfigError

API_KEY_ENV = "PHOENIX_API_KEY"
CLIENT_HEADERS_ENV = "PHOENIX_CLIENT_HEADERS"
_OTEL_ENVS = ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS")  # later wins
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # control characters would split or corrupt the header


def exporter_headers(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """Headers for the OTLP exporter, or None when neither Phoenix variable is set.

    Raises ConfigError naming the variable and the entry that is malformed.
    """
    env = os.environ if environ is None else environ
    client, key = env.get(CLIENT_HEADERS_ENV, "").strip(), env.get(API_KEY_ENV, "").strip()
    if not client and not key:
        return None
    headers: dict[str, str] = {}
    for name in _OTEL_ENVS:
        headers.update(parse_env_headers(env.get(name, ""), liberal=True))
    headers.update(parse_client_headers(client))
    if key:
        if _UNSAFE.search(key):
            raise ConfigError(f"${API_KEY_ENV} contains a control character (a line break?); "
                              f"set it to the key alone, as Phoenix shows it")
        headers["authorization"] = f"Bearer {key}"
    return headers


def parse_client_headers(text: str) -> dict[str, str]:
    """``name=value,name2=value2`` (URL-encoded) as lower-case names to decoded values."""
    headers: dict[str, str] = {}
    for number, entry in enumerate(text.split(","), start=1):
        if not entry.strip():
            continue
        name, equals, value = entry.partition("=")
        name, value = unquote(name).strip().lower(), unquote(value).strip()
        where = f"${CLIENT_HEADERS_ENV}, entry {number}"
        if not equals or not _TOKEN.fullmatch(name):
            raise ConfigError(f"{where} is not name=value with a header name; "
                              f"write it as name=value,name2=value2, URL-encoding ',' '=' and spaces")
        if _UNSAFE.search(value):
            raise ConfigError(f"{where} ({name!r}) has a control character in its value; "
                              f"URL-encode the value, or remove the character")
        headers[name] = value
    return headers
