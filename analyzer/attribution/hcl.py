"""A small, bounded HCL2 reader: blocks, attributes and their string values, with line numbers.

Enough of HCL's native syntax to find Packer provisioners: blocks (``type "label" { ... }``),
attributes whose value is a string (quoted, with ``${...}`` kept as written, or a heredoc
``<<EOF`` / ``<<-EOF``) or a list of strings; any other expression is skipped to the end of
its line (brackets balanced). Comments ``#``, ``//`` and ``/* */``. A syntax error raises
:class:`HclError` with the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from analyzer.errors import ImgauditError

_IDENT = re.compile(r"[A-Za-z0-9_.\-]+")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
#: Deepest block nesting read (Packer templates use two or three levels).
MAX_DEPTH = 32


class HclError(ImgauditError):
    """The text is not HCL this reader understands; the message names the line."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is ``ident``, ``string``, ``nl`` or the punctuation itself."""

    kind: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Value:
    """An attribute value: its strings, each with the line it starts on (none when not a string)."""

    strings: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """A block: type, labels, line of its header and of its closing brace, and its body."""

    type: str
    labels: tuple[str, ...]
    line: int
    end_line: int
    attributes: dict[str, tuple[int, Value]] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()


def tokens(text: str) -> Iterator[Token]:
    """Tokenize ``text`` (strings unescaped, interpolations kept as written)."""
    pos, line, size = 0, 1, len(text)
    while pos < size:
        char = text[pos]
        if char == "\n":
            yield Token("nl", "", line)
            line, pos = line + 1, pos + 1
        elif char in " \t\r":
            pos += 1
        elif char == "#" or text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = size if end < 0 else end
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                raise HclError(f"line {line}: unterminated comment")
            line += text.count("\n", pos, end)
            pos = end + 2
        elif char == '"':
            value, end = _string(text, pos + 1, line)
            yield Token("string", value, line)
            line += text.count("\n", pos, end)
            pos = end
        elif heredoc := _HEREDOC.match(text, pos):
            value, end = _heredoc(text, heredoc.end(), heredoc.group(2), bool(heredoc.group(1)))
            yield Token("string", value, line + 1)
            line += text.count("\n", pos, end)
            pos = end
        elif ident := _IDENT.match(text, pos):
            yield Token("ident", ident.group(0), line)
            pos = ident.end()
        else:
            yield Token(char, char, line)
            pos += 1
    yield Token("nl", "", line)


def _string(text: str, pos: int, line: int) -> tuple[str, int]:
    """A quoted string's value from ``pos`` (after the quote) and the index after its end."""
    out: list[str] = []
    depth = 0
    while pos < len(text):
        char = text[pos]
        if char == "\\" and depth == 0 and pos + 1 < len(text):
            out.append(_ESCAPES.get(text[pos + 1], text[pos + 1]))
            pos += 2
            continue
        if text.startswith("${", pos):
            depth += 1
            out.append("${")
            pos += 2
            continue
        if char == "}" and depth:
            depth -= 1
        elif char == '"' and depth == 0:
            return "".join(out), pos + 1
        elif char == "\n" and depth == 0:
            break
        out.append(char)
        pos += 1
    raise HclError(f"line {line}: unterminated string")


def _heredoc(text: str, pos: int, marker: str, indented: bool) -> tuple[str, int]:
    lines: list[str] = []
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        current = text[pos:end]
        pos = end + 1
        if current.strip() == marker:
            return "\n".join(x.lstrip() if indented else x for x in lines), end
        lines.append(current)
    raise HclError(f"heredoc {marker} is not closed")


def parse(text: str) -> tuple[Block, ...]:
    """The top-level blocks of HCL ``text`` (top-level attributes are skipped)."""
    items = list(tokens(text))
    body = _body(items, 0, 0)
    if body.pos < len(items):
        raise HclError(f"line {items[body.pos].line}: unexpected '}}'")
    return body.blocks


@dataclass(frozen=True, slots=True)
class _Body:
    """What a body held, the line of its closing brace, and where reading stopped."""

    blocks: tuple[Block, ...]
    attributes: dict[str, tuple[int, Value]]
    end_line: int
    pos: int


def _body(items: list[Token], pos: int, depth: int) -> _Body:
    """Read a body from ``pos`` up to its ``}`` (left unread) or the end of the tokens."""
    if depth > MAX_DEPTH:
        raise HclError(f"line {items[pos].line}: blocks nested deeper than {MAX_DEPTH}")
    blocks: list[Block] = []
    attributes: dict[str, tuple[int, Value]] = {}
    while pos < len(items):
        token = items[pos]
        if token.kind == "nl":
            pos += 1
        elif token.kind == "}":
            return _Body(tuple(blocks), attributes, token.line, pos)
        elif token.kind == "ident" and pos + 1 < len(items) and items[pos + 1].kind == "=":
            value, pos = _value(items, pos + 2)
            attributes[token.value] = (token.line, value)
        elif token.kind == "ident":
            labels: list[str] = []
            pos += 1
            while pos < len(items) and items[pos].kind in ("ident", "string"):
                labels.append(items[pos].value)
                pos += 1
            if pos >= len(items) or items[pos].kind != "{":
                raise HclError(f"line {token.line}: expected '{{' after {token.value}")
            inner = _body(items, pos + 1, depth + 1)
            if inner.pos >= len(items):
                raise HclError(f"line {token.line}: block {token.value} is not closed")
            blocks.append(
                Block(token.value, tuple(labels), token.line, inner.end_line, inner.attributes,
                      inner.blocks)
            )  # fmt: skip
            pos = inner.pos + 1
        else:
            raise HclError(f"line {token.line}: unexpected {token.kind!r}")
    return _Body(tuple(blocks), attributes, items[-1].line if items else 1, pos)


def _value(items: list[Token], pos: int) -> tuple[Value, int]:
    """Read an expression from ``pos`` to the end of its line; strings kept when it is them."""
    strings: list[tuple[str, int]] = []
    depth = 0
    plain = True
    while pos < len(items):
        token = items[pos]
        if token.kind == "nl" and depth == 0:
            break
        if token.kind in "[{(":
            depth += 1
        elif token.kind in "]})":
            depth -= 1
            if depth < 0:
                break
        elif token.kind == "string":
            strings.append((token.value, token.line))
        elif token.kind not in ("nl", ","):
            plain = False
        pos += 1
    return Value(tuple(strings) if plain else ()), pos
