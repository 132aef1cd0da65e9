"""Edits to the knowledge's YAML files as text, so curators' comments and layout survive.

A round trip through a YAML library would drop comments and reflow lines; curators review
these files in git. So items are inserted as new lines beside the ones they join, each edit is
checked by parsing the result (it must hold exactly what was meant), and files are replaced
atomically (a temporary file beside the target, then a rename), never left half written.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.engine.yamlfile import YamlList, YamlMap, read_yaml


class EditError(ValueError):
    """A YAML file cannot be edited as asked; the message says why."""


def scalar(value: str | None) -> str:
    """``value`` as a YAML scalar on one line: JSON's double-quoted strings are valid YAML."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) all at once, keeping its permissions."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parse(text: str, name: str) -> Any:
    """The YAML data of ``text`` with line numbers; EditError when it does not parse."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.yaml"
        path.write_text(text, encoding="utf-8")
        data, problems = read_yaml(path, name)
    if problems:
        raise EditError("; ".join(str(p) for p in problems))
    return data


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _block_end(lines: list[str], last_item_line: int, indent: str) -> int:
    """The index just after the block of the item starting on (1-based) ``last_item_line``:
    its own lines and deeper-indented ones, without trailing blank lines and comments."""
    end = last_item_line  # index after the item's first line
    for number in range(last_item_line, len(lines)):
        line = lines[number]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(_indent_of(line)) <= len(indent) and not line.startswith(indent + " "):
            break
        end = number + 1
    return end


def append_items(
    text: str, name: str, key: str, items: Sequence[str], comment: str | None = None
) -> str:
    """``text`` with block-list items (each YAML text of one ``- ...`` item, unindented) added
    at the end of the top-level list ``key``; the comment, if any, goes above them."""
    data = parse(text, name)
    if not isinstance(data, YamlMap) or not isinstance(data.get(key), YamlList):
        raise EditError(f"{name}: expected a top-level '{key}:' list")
    current: YamlList = data[key]
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if current.item_lines:
        first = lines[current.item_lines[0] - 1]
        indent = _indent_of(first)
        if not first.lstrip().startswith("- "):
            raise EditError(f"{name}: the '{key}' list is not a block list ('- ' items)")
        at = _block_end(lines, current.item_lines[-1], indent)
    else:
        if re.search(rf"^{re.escape(key)}:\s*\[\s*\]", text, re.M):
            raise EditError(f"{name}: write '{key}:' as a block list to add items")
        indent, at = "  ", data.line_of(key)
    new = [f"{indent}# {comment}\n"] if comment else []
    for item in items:
        new.extend(f"{indent}{line}\n" if line else "\n" for line in item.splitlines())
    result = "".join(lines[:at] + new + lines[at:])
    after = parse(result, name)
    if len(after[key]) != len(current) + len(items):
        raise EditError(f"{name}: adding to '{key}' did not give the expected items")
    return result


def append_to_item_list(
    text: str, name: str, key: str, item_id: str, field: str, values: Sequence[str]
) -> str:
    """``text`` with ``values`` added to the block list ``field`` of the item whose id is
    ``item_id`` in the top-level list ``key`` (the phrasings of one FAQ entry)."""
    data = parse(text, name)
    items = data.get(key) if isinstance(data, YamlMap) else None
    if not isinstance(items, YamlList):
        raise EditError(f"{name}: expected a top-level '{key}:' list")
    target = next(
        (i for i in items if isinstance(i, YamlMap) and i.get("id") == item_id),
        None,
    )
    if target is None:
        raise EditError(f"{name}: no item with id {item_id!r}")
    current = target.get(field)
    if not isinstance(current, YamlList) or not current.item_lines:
        raise EditError(f"{name}: {item_id}: '{field}' is not a non-empty block list")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    first = lines[current.item_lines[0] - 1]
    if not first.lstrip().startswith("- "):
        raise EditError(f"{name}: {item_id}: write '{field}' as a block list ('- ' items)")
    indent = _indent_of(first)
    at = _block_end(lines, current.item_lines[-1], indent)
    new = [f"{indent}- {_plain_or_quoted(v)}\n" for v in values]
    result = "".join(lines[:at] + new + lines[at:])
    after = parse(result, name)
    changed = next(i for i in after[key] if isinstance(i, YamlMap) and i.get("id") == item_id)
    if list(changed[field]) != [*current, *values]:
        raise EditError(f"{name}: {item_id}: adding to '{field}' did not give the expected list")
    return result


def _plain_or_quoted(value: str) -> str:
    """A phrasing as curators write them (plain) when YAML reads it back unchanged."""
    try:
        if yaml.safe_load(value) == value and "#" not in value and ": " not in value:
            return value
    except yaml.YAMLError:
        pass
    return scalar(value)
