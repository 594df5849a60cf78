"""Plug-in loading shared by variable and entity interceptors.

Configuration follows the official `camunda.migrator.interceptors` list::

    interceptors:
      - class-name: my_package.module.MyInterceptor     # Python dotted path
        enabled: true                                    # false disables a registered one
        properties: {some-property: value}               # set as attributes (kebab -> snake)

Built-in interceptors are registered under their official Java class names as well as their
Python dotted path, so `enabled: false` with either name disables them.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .errors import ConfigError

log = logging.getLogger("c7to8.plugins")

T = TypeVar("T")


@dataclass(frozen=True)
class InterceptorSpec:
    """One entry of `camunda.migrator.interceptors`."""

    class_name: str
    enabled: bool = True
    properties: Mapping[str, Any] = field(default_factory=dict)


def parse_interceptor_specs(raw: object) -> list[InterceptorSpec]:
    """Validate the raw YAML list; errors name the key."""
    key = "camunda.migrator.interceptors"
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise ConfigError(key, "must be a list of entries with 'class-name'")
    specs: list[InterceptorSpec] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{key}[{i}]", "must be a mapping with 'class-name'")
        name = entry.get("class-name", entry.get("className", entry.get("class_name")))
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{key}[{i}].class-name", "is required")
        enabled = entry.get("enabled", True)
        if isinstance(enabled, str):
            enabled = enabled.strip().lower() == "true"
        props = entry.get("properties") or {}
        if not isinstance(props, Mapping):
            raise ConfigError(f"{key}[{i}].properties", "must be a mapping")
        specs.append(InterceptorSpec(name.strip(), bool(enabled), dict(props)))
    return specs


def _attr_name(prop: str) -> str:
    return prop.replace("-", "_")


def instantiate(spec: InterceptorSpec) -> object:
    """Import `spec.class_name` (module.path.ClassName), build it with no arguments, set properties."""
    _extend_plugin_path()
    module_name, _, cls_name = spec.class_name.rpartition(".")
    if not module_name:
        raise ConfigError("camunda.migrator.interceptors", f"'{spec.class_name}' is not a dotted class path")
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, cls_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            "camunda.migrator.interceptors", f"Failed to register interceptor: {spec.class_name} ({exc})"
        ) from exc
    try:
        obj = cls()
    except Exception as exc:  # noqa: BLE001 - a plug-in may raise anything
        raise ConfigError(
            "camunda.migrator.interceptors", f"Failed to register interceptor: {spec.class_name} ({exc})"
        ) from exc
    for prop, value in spec.properties.items():
        attr = _attr_name(str(prop))
        if not hasattr(obj, attr):
            raise ConfigError(
                "camunda.migrator.interceptors",
                f"An exception occurred while parsing interceptor configuration. "
                f"{spec.class_name} has no property '{prop}'",
            )
        setattr(obj, attr, value)
    return obj


def build_chain(
    builtins: Iterable[tuple[Sequence[str], T]],
    specs: Iterable[InterceptorSpec],
    kind: type[T],
    kind_label: str,
) -> list[T]:
    """Return the interceptor chain: enabled built-ins first (in their order), then custom ones.

    `builtins` pairs each built-in instance with the names it answers to (official Java class
    name, Python path). A spec with `enabled: false` removes the built-in of that name; a spec
    naming a class that is not `kind` is ignored for this chain (it belongs to the other chain).
    Custom interceptors run after the built-ins, ordered by their `order` attribute (default 0,
    stable).
    """
    chain: list[tuple[Sequence[str], T]] = list(builtins)
    custom: list[T] = []
    for spec in specs:
        if not spec.enabled:
            before = len(chain)
            chain = [(names, obj) for names, obj in chain if spec.class_name not in names]
            custom = [c for c in custom if _class_path(c) != spec.class_name]
            if len(chain) < before:
                log.info("Interceptor disabled via configuration: %s", spec.class_name)
            else:
                log.debug("Interceptor specified for disabling not found in %ss: %s", kind_label, spec.class_name)
            continue
        if any(spec.class_name in names for names, _ in chain):
            continue  # a built-in named again with enabled: true stays as it is
        obj = instantiate(spec)
        if isinstance(obj, kind):
            custom.append(obj)
            log.info("Successfully registered interceptor: %s", spec.class_name)
    custom.sort(key=lambda c: getattr(c, "order", 0))
    return [obj for _, obj in chain] + custom


def plugin_dirs() -> list[str]:
    """Where plug-in modules are looked up besides sys.path (the official tool's `configuration/userlib`)."""
    dirs = [d for d in os.environ.get("C7TO8_PLUGIN_PATH", "").split(os.pathsep) if d]
    dirs += ["configuration/userlib", "userlib"]
    return [os.path.abspath(d) for d in dirs if os.path.isdir(d)]


def _extend_plugin_path() -> None:
    for d in plugin_dirs():
        if d not in sys.path:
            sys.path.insert(0, d)


def _class_path(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"
