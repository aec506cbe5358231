"""What a node factory and a node check get to see besides their own params."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from langchain_core.tools import BaseTool

from agentkit.engine.registry import Registry
from agentkit.engine.resources import ResourcePool
from agentkit.spec.models import ChannelSpec, GraphSpec


@dataclass(frozen=True)
class CheckContext:
    """Validation-time view: the spec, the registry, and the graph files above this one."""

    spec: GraphSpec
    registry: Registry
    workspace: Path
    stack: tuple[Path, ...] = ()
    provided: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NodeContext:
    """Build-time view for one node: its name, the state channels, resources and tools."""

    node: str
    channels: Mapping[str, ChannelSpec]
    base_dir: Path
    registry: Registry
    workspace: Path
    resources: ResourcePool
    tools: Mapping[str, BaseTool]

    def resource(self, name: str) -> Any:
        """A resource of the graph by name (built on first use, shared)."""
        return self.resources.get(name)

    def channel(self, name: str) -> ChannelSpec:
        """The declared spec of a state channel (untyped `any` if not declared)."""
        return self.channels.get(name, ChannelSpec())
