"""Each key's request rate and token budget per minute, on the `limits` library's sliding
window counter, in this process's memory (each server process counts its own calls)."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from agentkit.access.keys import ApiKey


class KeyLimits:
    """`admit` before a call (the seconds to wait when the key is over a limit), `spend`
    after it, with the tokens it used."""

    def __init__(self) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    def admit(self, key: ApiKey) -> tuple[str, float] | None:
        """None when `key` may call now; else which limit it is over and the Retry-After seconds."""
        if key.tokens_per_min is not None:
            budget = RateLimitItemPerMinute(key.tokens_per_min)
            if self._limiter.get_window_stats(budget, key.id, "tokens").remaining <= 0:
                return f"token budget ({key.tokens_per_min:,} tokens a minute)", self._wait(budget, key, "tokens")
        if key.rate_per_min is not None:
            rate = RateLimitItemPerMinute(key.rate_per_min)
            if not self._limiter.hit(rate, key.id, "requests"):
                return f"request rate ({key.rate_per_min:,} requests a minute)", self._wait(rate, key, "requests")
        return None

    def spend(self, key: ApiKey | None, tokens: int) -> None:
        """Count a finished call's tokens against its key's budget (all of them, even past it)."""
        if key is None or key.tokens_per_min is None or tokens <= 0:
            return
        budget = RateLimitItemPerMinute(key.tokens_per_min)
        left = self._limiter.get_window_stats(budget, key.id, "tokens").remaining
        if left > 0:
            self._limiter.hit(budget, key.id, "tokens", cost=min(tokens, left))

    def _wait(self, item: RateLimitItemPerMinute, key: ApiKey, what: str) -> float:
        reset = self._limiter.get_window_stats(item, key.id, what).reset_time
        return max(1.0, math.ceil(reset - time.time()))
