"""Checks node kinds share."""

from __future__ import annotations

from typing import Iterator

from agentkit.text import template_fields


def template_problems(
    templates: dict[str, str | None], channels: set[str]
) -> Iterator[tuple[tuple[str | int, ...], str, str | None]]:
    """Check problems for templates whose placeholders are not state channels."""
    for key, template in templates.items():
        if template is None:
            continue
        try:
            fields = template_fields(template)
        except ValueError as exc:
            yield (key,), f"malformed template: {exc}", "escape literal braces as {{ and }}"
            continue
        for name in fields:
            if name not in channels:
                yield (key,), f"template placeholder {{{name}}} is not a state channel", \
                    f"declare {name!r} under state: or fix the placeholder"
