"""Safe YAML reading that remembers line numbers, for error messages curators can act on.

Only plain data is accepted: no tags beyond the core schema, no anchors or aliases (the
"billion laughs" trick), bounded size and nesting depth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.engine.model import Problem

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster when present
_constructor = SafeConstructor()
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:bool": _constructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": _constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _constructor.construct_yaml_float,
    # Dates and everything else stay the text the curator wrote.
    "tag:yaml.org,2002:str": lambda node: node.value,
    "tag:yaml.org,2002:timestamp": lambda node: node.value,
}


class YamlMap(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of ``key``, or of the mapping itself when the key is absent."""
        return self.key_lines.get(key, self.line)


class YamlList(list):
    """A sequence that knows its own line and the line of each item."""

    line: int
    item_lines: list[int]


class _Invalid(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML file into YamlMap/YamlList/scalars, or report why it cannot be read."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display, None, f"cannot read file: {exc.strerror or exc}")]
    if len(raw) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 1024 // 1024
        return None, [Problem(display, None, f"file is larger than {limit} MB")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [Problem(display, line, f"not valid UTF-8 (byte {raw[exc.start]:#04x})")]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line, message = _syntax_error(text, exc)
        return None, [Problem(display, line, f"YAML syntax error: {message}")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, None, f"YAML error: {exc}")]
    except RecursionError:
        return None, [Problem(display, None, f"nesting deeper than {MAX_DEPTH} levels")]
    if root is None:
        return None, []
    try:
        return _convert(root, 0, set()), []
    except _Invalid as exc:
        return None, [Problem(display, exc.line, exc.message)]


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """Where a syntax error was caused, and what it is. The parser notices some errors only
    on a later line: an unclosed bracket or quote is found where the next value begins. The
    cause is the line that opened it."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    if line is None or exc.problem_mark is None:
        return line, message
    opened = exc.context_mark
    context = str(exc.context)
    if opened and opened.line + 1 < line and ("flow" in context or "quoted" in context):
        bracket = text.splitlines()[opened.line][opened.column : opened.column + 1]
        return opened.line + 1, f"{bracket} opened here is not closed (line {line}: {exc.problem})"
    quoted = _quoted_scalar_ending_at(text, exc.problem_mark)
    if quoted is not None and quoted.start_mark.line + 1 < line:
        return (
            quoted.start_mark.line + 1,
            f"the quoted text starting here runs on to line {line}: is its closing "
            f"{quoted.style} missing? ({exc.problem})",
        )
    if "mapping values are not allowed" in str(exc.problem):
        # "answer: Note: it is..." - the second colon starts a mapping inside the value
        message += ': a value with ": " in it needs quotes ("...")'
    return line, message


def _quoted_scalar_ending_at(text: str, problem: yaml.Mark) -> yaml.ScalarToken | None:
    """The last quoted value before the error, if it ends on the error's line."""
    last = None
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if (token.start_mark.line, token.start_mark.column) >= (problem.line, problem.column):
                break
            if isinstance(token, yaml.ScalarToken) and token.style in ("'", '"'):
                last = token
    except yaml.YAMLError:
        pass  # tokens up to the failure are all we need
    if last is not None and last.end_mark.line == problem.line:
        return last
    return None


def _convert(node: Node, depth: int, seen: set[int]) -> Any:
    line = node.start_mark.line + 1
    if id(node) in seen:
        raise _Invalid(line, "anchors and aliases (&, *) are not allowed")
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise _Invalid(line, f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(node, ScalarNode):
        construct = _SCALAR_TAGS.get(node.tag)
        if construct is None:
            raise _Invalid(line, f"unsupported YAML tag {node.tag}")
        try:
            return construct(node)
        except (ValueError, yaml.YAMLError) as exc:
            raise _Invalid(line, f"bad value {node.value!r}: {exc}") from None
    if isinstance(node, SequenceNode):
        items = YamlList(_convert(child, depth + 1, seen) for child in node.value)
        items.line = line
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items
    if isinstance(node, MappingNode):
        mapping = YamlMap()
        mapping.line = line
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise _Invalid(key_line, "keys must be plain words (no << merges)")
            key = str(key_node.value)
            if key in mapping:
                raise _Invalid(key_line, f"key {key!r} appears twice")
            mapping[key] = _convert(value_node, depth + 1, seen)
            mapping.key_lines[key] = key_line
        return mapping
    raise _Invalid(line, "unsupported YAML node")
