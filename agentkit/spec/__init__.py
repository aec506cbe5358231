"""Graph files: models, loading with source positions, dumping back to YAML."""

from agentkit.spec.dump import dump_yaml
from agentkit.spec.loader import SourceMap, load_spec, parse_yaml, spec_from_data
from agentkit.spec.models import END, START, ChannelSpec, Edge, GraphSpec, Limits, NodeSpec, ResourceSpec, RouteEdge

__all__ = [
    "END", "START", "ChannelSpec", "Edge", "GraphSpec", "Limits", "NodeSpec", "ResourceSpec",
    "RouteEdge", "SourceMap", "dump_yaml", "load_spec", "parse_yaml", "spec_from_data",
]
