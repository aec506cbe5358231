"""Figures for HTML pages: matplotlib (imported on first use, no pyplot) drawn as inline SVG."""

from __future__ import annotations

import io
from typing import Any


def figure(**kwargs: Any) -> Any:
    """A new matplotlib Figure with a constrained layout."""
    from matplotlib.figure import Figure  # imported on first plot: it is slow to import

    return Figure(layout="constrained", **kwargs)


def svg(drawn: Any) -> str:
    """`drawn` (a Figure) as an inline `<svg>` element."""
    buffer = io.StringIO()
    drawn.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]
