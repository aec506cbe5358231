"""A connection to a running Phoenix for uploads (prompts, datasets, experiments), with
clear errors. The Phoenix client is imported lazily: it takes seconds to import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from agentkit.errors import ConfigError
from agentkit.observability.headers import exporter_headers
from agentkit.observability.phoenix import COLLECTOR_ENDPOINT_ENV, is_healthy, phoenix_endpoint

if TYPE_CHECKING:
    from phoenix.client import Client


@dataclass(frozen=True)
class PhoenixAPI:
    """The base URL of a Phoenix that answered, and a client for its REST API."""

    url: str
    client: Client

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn an HTTP failure while `doing` something into a :class:`ConfigError`."""
        try:
            yield
        except httpx.HTTPStatusError as exc:
            detail = " ".join(exc.response.text.split())[:300]
            raise ConfigError(f"Phoenix at {self.url} refused {doing}: "
                              f"HTTP {exc.response.status_code} {detail}") from None
        except httpx.HTTPError as exc:
            raise ConfigError(f"Phoenix at {self.url} failed while {doing}: {exc}; "
                              f"check that it is still running (`agentkit phoenix`)") from None


def connect(base_url: str | None = None, *, pointer: str = f"${COLLECTOR_ENDPOINT_ENV}") -> PhoenixAPI:
    """The Phoenix at `base_url` (default: :func:`phoenix_endpoint`), once it answers;
    `pointer` names how the user chooses another (an option, the variable)."""
    url = (base_url or phoenix_endpoint()).rstrip("/")
    headers = exporter_headers()  # checked $PHOENIX_API_KEY / $PHOENIX_CLIENT_HEADERS, as for span exports
    try:
        answered = is_healthy(url, timeout=3.0)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigError(f"{url!r} is not a Phoenix URL ({exc}); give one like http://127.0.0.1:6006") from None
    if not answered:
        raise ConfigError(
            f"cannot reach Phoenix at {url}: start one with `agentkit phoenix --detach`, "
            f"or point {pointer} at a running Phoenix"
        )
    from phoenix.client import Client

    return PhoenixAPI(url, Client(base_url=url, headers=headers))
