"""YAML reading that remembers where each mapping came from, for ``file:line`` errors."""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A mapping that knows the 1-based line it started on, and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


#: libyaml's parser when PyYAML was built with it (several times faster), else pure Python.
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """Safe loader whose mappings are :class:`LineDict` objects."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(
                problem=f"mapping keys must be strings, not {key!r}",
                problem_mark=key_node.start_mark,
            )
        if key in mapping:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(text: str, name: str) -> Any:
    """Parse YAML text; syntax errors become ``ValueError('name:line: problem')``."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ValueError(f"{name}:{line}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: {exc}") from exc


def line_of(value: Any, default: int = 0) -> int:
    """The line a parsed mapping started on, or ``default``."""
    return value.line if isinstance(value, LineDict) else default


def key_line(value: Any, key: str, default: int = 0) -> int:
    """The line of ``key`` in a parsed mapping, else the mapping's own line, else ``default``."""
    if isinstance(value, LineDict):
        return value.key_lines.get(key, value.line)
    return default
