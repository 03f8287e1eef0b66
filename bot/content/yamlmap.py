"""Parse YAML and remember the line of every key and list item.

Validation errors come back as paths like `("games", 0, "prizes", 1, "weight")`; this map
turns them into the line the admin has to edit. It also notes two silent YAML traps: a key
written twice (the last one wins) and numbers like `50.000` (read as 50, not 50000).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.content.errors import Loc

_DOTTED_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+$")


@dataclass
class ParsedYaml:
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    dotted_numbers: dict[Loc, str] = field(default_factory=dict)
    duplicate_keys: list[tuple[Loc, int, int]] = field(default_factory=list)  # loc, line, first


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document (raises `yaml.YAMLError` with a mark on bad syntax)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    parsed = ParsedYaml(data=nfc(data))
    if node is not None:
        parsed.lines[()] = node.start_mark.line + 1
        _walk(node, (), parsed)
    return parsed


def _walk(node: yaml.Node, loc: Loc, out: ParsedYaml) -> None:
    # Runs after construct_document, which has already flattened `<<` merge keys.
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = nfc(str(key_node.value))
            here = (*loc, key)
            line = key_node.start_mark.line + 1
            if here in out.lines:
                out.duplicate_keys.append((here, line, out.lines[here]))
                _forget(out, here)  # the earlier value is dropped by YAML: drop its lines
            out.lines[here] = line
            _walk(value_node, here, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            here = (*loc, i)
            out.lines[here] = item.start_mark.line + 1
            _walk(item, here, out)
    elif (
        isinstance(node, yaml.ScalarNode)
        and node.tag.endswith(":float")
        and _DOTTED_THOUSANDS.match(node.value)
    ):
        out.dotted_numbers[loc] = node.value


def _forget(out: ParsedYaml, prefix: Loc) -> None:
    n = len(prefix)
    for table in (out.lines, out.dotted_numbers):
        for loc in [loc for loc in table if len(loc) > n and loc[:n] == prefix]:
            del table[loc]


def nfc(value: Any) -> Any:
    """Compose Vietnamese text to NFC so lengths and matching do not depend on the editor."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def line_of(lines: dict[Loc, int], loc: Loc) -> tuple[Loc, int]:
    """The line of `loc`, or of its closest ancestor present in the file (e.g. for a
    missing key: the line of the section it belongs in)."""
    for end in range(len(loc), -1, -1):
        prefix = loc[:end]
        if prefix in lines:
            return prefix, lines[prefix]
    return (), 1
