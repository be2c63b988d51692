r"""Public JSON documents described by frozen dataclasses: their data, schema and reference.

A document model (see :mod:`analyzer.report.document`) is a tree of frozen dataclasses whose
fields are ``str``, ``int``, ``float``, ``bool``, ``None``, enums, ``Literal``, unions,
``tuple[X, ...]``, ``Mapping[str, X]``, other such dataclasses (generic ones too) and
:data:`JsonObject`, free-form JSON built by :func:`analyzer.report.common.jsonable`. A field
is documented by a string in its ``Annotated`` metadata and may be pinned by :class:`Const`.

From one model come three things, so they cannot disagree:

* :func:`to_json`: an instance as JSON-ready data (fields in declaration order, strings
  cleaned so they encode as UTF-8);
* :func:`schema_of`: the JSON Schema (draft 2020-12) of the model, every object closed
  (``additionalProperties: false``) and every field required;
* :func:`reference_tables`: the Markdown tables of ``docs/json-report.md``.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from analyzer.report.common import clean_text

#: The JSON Schema dialect of every committed schema.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True, slots=True)
class FreeForm:
    """Marks a field whose value is free-form JSON (check properties, source properties)."""


@dataclass(frozen=True, slots=True)
class Const:
    """Pins a string field to one value (the document's format identifier)."""

    value: str


#: An object of any JSON values, already converted with ``jsonable``.
JsonObject = Annotated[Mapping[str, object], FreeForm()]

Schema = dict[str, object]


def to_json(value: object) -> object:
    """Convert a model instance (or any value inside one) into JSON-ready data."""
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {clean_text(str(k)): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    raise TypeError(f"not part of a document model: {type(value).__name__}")


def schema_of(root: type, *, schema_id: str, title: str) -> Schema:
    """The JSON Schema of documents modelled by ``root``, definitions sorted by name."""
    builder = _Builder()
    body = builder.object_schema(root, {})
    head: Schema = {"$schema": DIALECT, "$id": schema_id, "title": title}
    return {**head, **body, "$defs": dict(sorted(builder.defs.items()))}


class _Builder:
    """Walks type hints, collecting one definition per dataclass (and type arguments)."""

    def __init__(self) -> None:
        self.defs: dict[str, Schema] = {}

    def schema(self, hint: object, typevars: Mapping[object, object]) -> Schema:
        origin, args = get_origin(hint), get_args(hint)
        if origin is Annotated:
            return self.annotated(args, typevars)
        if isinstance(hint, TypeVar):
            return self.schema(typevars[hint], typevars)
        simple = _SIMPLE.get(hint) if isinstance(hint, type) else None
        if simple is not None:
            return {"type": simple}
        if origin in (Union, types.UnionType):
            return _union([self.schema(arg, typevars) for arg in args])
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": self.schema(args[0], typevars)}
        if origin is Mapping:
            return {"type": "object", "additionalProperties": self.schema(args[1], typevars)}
        if origin is Literal:
            return {"enum": list(args)}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"enum": [member.value for member in hint]}
        if dataclasses.is_dataclass(origin or hint):
            return {"$ref": f"#/$defs/{self.define(hint, typevars)}"}
        raise TypeError(f"no JSON Schema for {hint!r}")

    def annotated(self, args: tuple[object, ...], typevars: Mapping[object, object]) -> Schema:
        base, *extras = args
        if any(isinstance(extra, FreeForm) for extra in extras):
            out: Schema = {"type": "object"}
        else:
            out = self.schema(base, typevars)
        for extra in extras:
            if isinstance(extra, Const):
                out = {"const": extra.value}
        docs = [extra for extra in extras if isinstance(extra, str)]
        return {"description": docs[0], **out} if docs else out

    def define(self, hint: object, typevars: Mapping[object, object]) -> str:
        cls, args = _class_and_args(hint, typevars)
        name = "".join(_name(arg) for arg in args) + cls.__name__
        if name not in self.defs:
            self.defs[name] = {}
            own = dict(zip(getattr(cls, "__parameters__", ()), args, strict=True))
            self.defs[name] = self.object_schema(cls, own)
        return name

    def object_schema(self, cls: type, typevars: Mapping[object, object]) -> Schema:
        hints = get_type_hints(cls, include_extras=True)
        names = [f.name for f in dataclasses.fields(cls)]
        return {
            "description": _summary(cls),
            "type": "object",
            "properties": {name: self.schema(hints[name], typevars) for name in names},
            "required": names,
            "additionalProperties": False,
        }


_SIMPLE: Mapping[object, str] = {
    type(None): "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
}


def _union(members: list[Schema]) -> Schema:
    """``{"type": [...]}`` when every member is a plain type, else ``anyOf``."""
    if all(set(member) == {"type"} for member in members):
        return {"type": [member["type"] for member in members]}
    return {"anyOf": members}


def _class_and_args(
    hint: object, typevars: Mapping[object, object]
) -> tuple[type, tuple[object, ...]]:
    origin = get_origin(hint)
    if origin is None:
        assert isinstance(hint, type)
        return hint, ()
    args = tuple(typevars.get(arg, arg) for arg in get_args(hint))
    return origin, args


def _name(hint: object) -> str:
    """A definition-name fragment for a type argument: ``Kernel``, ``KernelList``."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple:
        return _name(args[0]) + "List"
    if isinstance(hint, type):
        return hint.__name__
    raise TypeError(f"no definition name for {hint!r}")


def _summary(cls: type) -> str:
    """The first paragraph of a class docstring, on one line."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    return " ".join(doc.split("\n\n")[0].split())


def reference_tables(schema: Schema, root: str, skip: Set[str] = frozenset()) -> str:
    """Markdown: one table per object of ``schema``, the document (``root``) first.

    Definitions named in ``skip`` (documented with another schema) are left out.
    """
    defs = schema.get("$defs", {})
    assert isinstance(defs, dict)
    parts = [_table(root, schema)]
    parts += [_table(name, body) for name, body in defs.items() if name not in skip]
    return "\n\n".join(parts) + "\n"


def _table(name: str, body: Schema) -> str:
    properties = body.get("properties", {})
    assert isinstance(properties, dict)
    lines = [f"### {name}", "", str(body.get("description", "")), ""]
    lines += ["| Key | Type | Meaning |", "|---|---|---|"]
    for key, spec in properties.items():
        lines.append(f"| `{key}` | {_type_text(spec)} | {spec.get('description', '')} |")
    return "\n".join(lines)


def _type_text(spec: Schema) -> str:
    """``string``, ``integer or null``, ``[Kernel](#kernel)[]``, ``"imgaudit/report/v2"``."""
    return " or ".join(_type_words(spec))


def _type_words(spec: Schema) -> Iterator[str]:
    if "const" in spec:
        yield f'`"{spec["const"]}"`'
    elif "enum" in spec:
        yield " \\| ".join(f"`{value}`" for value in spec["enum"])  # type: ignore[attr-defined]
    elif "$ref" in spec:
        name = str(spec["$ref"]).rsplit("/", 1)[-1]
        yield f"[{name}](#{name.lower()})"
    elif "anyOf" in spec:
        for member in spec["anyOf"]:  # type: ignore[attr-defined]
            yield from _type_words(member)
    elif spec.get("type") == "array":
        items = spec["items"]
        assert isinstance(items, dict)
        yield " or ".join(_type_words(items)) + "[]"
    elif spec.get("type") == "object" and "additionalProperties" in spec:
        values = spec["additionalProperties"]
        assert isinstance(values, dict)
        yield "object of " + " or ".join(_type_words(values))
    elif isinstance(spec.get("type"), list):
        yield from (str(kind) for kind in spec["type"])  # type: ignore[attr-defined]
    else:
        yield str(spec.get("type"))
