"""Write a GraphSpec back to YAML (the exact inverse of loading)."""

from __future__ import annotations

import yaml

from agentkit.spec.models import GraphSpec


class _Dumper(yaml.SafeDumper):
    """Block style, flow style only for short edge pairs."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    short = len(data) == 2 and all(isinstance(item, str) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short)


_Dumper.add_representer(list, _represent_list)


def dump_yaml(spec: GraphSpec) -> str:
    """The graph file text for `spec`; `load_spec` of it gives back an equal spec."""
    return yaml.dump(spec.to_data(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
