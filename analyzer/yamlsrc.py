"""YAML reading that remembers where each mapping came from, for ``file:line`` errors."""

from __future__ import annotations

import yaml

from analyzer.model import YAML


class LineDict(dict[str, YAML]):
    """A mapping that knows the 1-based line it started on, and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


#: libyaml's parser when PyYAML was built with it (several times faster), else pure Python.
_BASE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"


def _value(loader: yaml.SafeLoader, node: yaml.Node) -> YAML:
    """The value of ``node``: a :class:`LineDict`, a list, a string, or another scalar.

    Numbers, booleans and null are built by the safe loader itself, as ``yaml.safe_load``
    builds them; anything it refuses (an unknown tag) is its error.
    """
    if isinstance(node, yaml.MappingNode):
        return _mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item) for item in node.value]
    if node.tag == _STR:
        text: str = node.value
        return text
    scalar: YAML = loader.construct_object(node, deep=True)
    return scalar


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = _value(loader, key_node)
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(
                problem=f"mapping keys must be strings, not {key!r}",
                problem_mark=key_node.start_mark,
            )
        if key in mapping:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        mapping[key] = _value(loader, value_node)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def load(text: str, name: str) -> YAML:
    """Parse YAML text; syntax errors become ``ValueError('name:line: problem')``."""
    loader = _BASE_LOADER(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _value(loader, node)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ValueError(f"{name}:{line}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: {exc}") from exc
    finally:
        loader.dispose()


def line_of(value: object, default: int = 0) -> int:
    """The line a parsed mapping started on, or ``default``."""
    return value.line if isinstance(value, LineDict) else default


def key_line(value: object, key: str, default: int = 0) -> int:
    """The line of ``key`` in a parsed mapping, else the mapping's own line, else ``default``."""
    if isinstance(value, LineDict):
        return value.key_lines.get(key, value.line)
    return default
