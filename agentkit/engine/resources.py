"""Resources: built on first use, one object per process for equal configs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, ClassVar, Mapping

from pydantic import BaseModel

from agentkit.engine.registry import Registry
from agentkit.errors import ConfigError
from agentkit.spec.models import ResourceSpec
from agentkit.workspace import find_workspace


class ResourcePool:
    """The resources of one graph; objects given in code take precedence over the spec."""

    _shared: ClassVar[dict[str, Any]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        declared: Mapping[str, ResourceSpec],
        registry: Registry,
        provided: Mapping[str, Any] | None = None,
        workspace: Path | None = None,
    ):
        self._declared = declared
        self._registry = registry
        self._provided = dict(provided or {})
        self._workspace = workspace

    def params(self, name: str) -> BaseModel | None:
        """The validated params of the declared resource `name` (None for one given in code)."""
        declared = self._declared.get(name)
        if name in self._provided or declared is None:
            return None
        return self._registry.resource_kinds()[declared.kind].params_model.model_validate(declared.params)

    def get(self, name: str) -> Any:
        """The resource called `name`, built once per process per (kind, params)."""
        if name in self._provided:
            return self._provided[name]
        declared = self._declared.get(name)
        if declared is None:
            raise ConfigError(
                f"no resource named {name!r}: declare it under resources: "
                f"(known: {', '.join([*self._declared, *self._provided]) or 'none'})"
            )
        kind = self._registry.resource_kinds()[declared.kind]
        params = kind.params_model.model_validate(declared.params)
        workspace = (self._workspace or find_workspace()).resolve() if kind.workspace_scoped else None
        factory = f"{kind.build.__module__}.{kind.build.__qualname__}"  # not its name: registries may differ
        key = json.dumps([factory, params.model_dump(mode="json"), str(workspace or "")], sort_keys=True)
        with self._lock:
            if key not in self._shared:
                self._shared[key] = kind.build(params, workspace) if workspace else kind.build(params)
            return self._shared[key]
