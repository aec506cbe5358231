"""Short model ids, as served and as telemetry and price tables name models."""

from __future__ import annotations

import re

_LEVEL = re.compile(r"[.-](?:q\d(?:_[0-9a-z]+)*|iq\d\w*|f16|f32|bf16)$", re.IGNORECASE)
_INSTRUCT = re.compile(r"-instruct$", re.IGNORECASE)


def model_id(name: str) -> str:
    """`SmolLM2-135M-Instruct.Q4_1` -> `smollm2-135m`: lower case, without the quantization
    suffix and an `-Instruct`."""
    return _INSTRUCT.sub("", _LEVEL.sub("", name)).lower()
