"""The text of one generated row: incremental decoding, stop sequences, end of turn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from transformers.tokenization_utils_base import PreTrainedTokenizerBase

FinishReason = Literal["stop", "length"]


class Completion:
    """Feed generated token ids one at a time; get back the text that became final.

    Text that could be the start of a stop sequence (or an incomplete UTF-8 character)
    is held back until the next tokens decide it, so streamed text never has to be taken
    back. A stop sequence cuts the text before it and finishes the row.
    """

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        eos_ids: frozenset[int],
        stop: Sequence[str],
        max_tokens: int,
    ) -> None:
        self._tokenizer = tokenizer
        self._eos_ids = eos_ids
        self._stop = [s for s in stop if s]
        self._max_tokens = max_tokens
        self._text_ids: list[int] = []
        self.token_count = 0
        self.text = ""
        self.finish_reason: FinishReason | None = None

    @property
    def max_tokens(self) -> int:
        """The most tokens this completion takes."""
        return self._max_tokens

    @property
    def finished(self) -> bool:
        """True once end of turn, a stop sequence or `max_tokens` was reached."""
        return self.finish_reason is not None

    def add(self, token_id: int) -> str:
        """Take one generated token; return the newly final text (may be empty)."""
        if self.finished:
            raise RuntimeError("Completion already finished")
        self.token_count += 1
        if token_id in self._eos_ids:
            return self._finish("stop", self._decoded())
        self._text_ids.append(token_id)
        decoded = self._decoded()
        cut = self._stop_index(decoded)
        if cut is not None:
            return self._finish("stop", decoded[:cut])
        if self.token_count >= self._max_tokens:
            return self._finish("length", decoded)
        return self._advance(decoded[: len(decoded) - self._undecided(decoded)])

    def _decoded(self) -> str:
        return self._tokenizer.decode(
            self._text_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
        )

    def _stop_index(self, decoded: str) -> int | None:
        hits = [i for i in (decoded.find(s) for s in self._stop) if i >= 0]
        return min(hits, default=None)

    def _undecided(self, decoded: str) -> int:
        """How many trailing characters may still turn into a stop sequence or a char."""
        held = len(decoded) - len(decoded.rstrip("\ufffd"))
        for stop in self._stop:
            for size in range(min(len(stop) - 1, len(decoded)), held, -1):
                if decoded.endswith(stop[:size]):
                    held = size
                    break
        return held

    def _finish(self, reason: FinishReason, final: str) -> str:
        self.finish_reason = reason
        return self._advance(final)

    def _advance(self, final: str) -> str:
        new = final[len(self.text) :]
        self.text = final
        return new
