"""The wording of every document kind, kept as data (one JSON file per kind) so that a change of wording is a
reviewed, versioned change of a file rather than of code; each rendered page prints the kind and version it used.

A file holds ``kind``, ``version``, an optional ``title`` (a string, or strings by variant) and ``text``: blocks
of plain text (or lists of them) with ``string.Template`` placeholders such as ``$pay_by``. Values are inserted as
plain text; the renderer escapes the result, so templates carry no markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from types import MappingProxyType
from typing import Any

KINDS = ("common", "demand_notice", "reminder", "installment_pledge", "payment_slip", "asset_inquiry",
         "debtor_summary", "receipt")


@dataclass(frozen=True, slots=True)
class Wording:
    """One kind's wording; ``text`` fills a block's placeholders and raises KeyError naming a missing one."""

    kind: str
    version: str
    titles: MappingProxyType[str, str]
    blocks: MappingProxyType[str, str | tuple[str, ...]]

    def title(self, variant: str = "") -> str:
        return self.titles[variant]

    def text(self, key: str, **values: object) -> str:
        block = self.blocks[key]
        if not isinstance(block, str):
            raise TypeError(f"template {self.kind}/{key} is a list; use lines()")
        return _fill(self.kind, key, block, values)

    def lines(self, key: str, **values: object) -> list[str]:
        block = self.blocks[key]
        items = (block,) if isinstance(block, str) else block
        return [_fill(self.kind, key, item, values) for item in items]

    def placeholders(self) -> set[str]:
        """Every placeholder used by this kind (tests check each is supplied somewhere)."""
        names: set[str] = set()
        for block in self.blocks.values():
            for item in (block,) if isinstance(block, str) else block:
                names.update(Template(item).get_identifiers())
        return names


def _fill(kind: str, key: str, text: str, values: dict[str, object]) -> str:
    try:
        return Template(text).substitute({name: str(value) for name, value in values.items()})
    except KeyError as error:
        raise KeyError(f"template {kind}/{key} needs a value for ${error.args[0]}") from None


def _check_block(kind: str, key: str, value: Any) -> str | tuple[str, ...]:
    if isinstance(value, str):
        items: tuple[str, ...] = (value,)
    elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        items = tuple(value)
    else:
        raise ValueError(f"template {kind}/{key} must be a string or a non-empty list of strings")
    for item in items:
        if not Template(item).is_valid():
            raise ValueError(f"template {kind}/{key} has a malformed placeholder")
    return value if isinstance(value, str) else items


@cache
def wording(kind: str) -> Wording:
    """Load and check one kind's template file (cached: files do not change while the process runs)."""
    if kind not in KINDS:
        raise KeyError(f"no template for document kind {kind!r}")
    raw = json.loads(resources.files(__package__).joinpath(f"{kind}.json").read_text(encoding="utf-8"))
    if raw.get("kind") != kind or not isinstance(raw.get("version"), str) or not isinstance(raw.get("text"), dict):
        raise ValueError(f"template {kind}.json must have kind {kind!r}, a version string and a text object")
    title = raw.get("title", "")
    titles = {"": title} if isinstance(title, str) else dict(title)
    blocks = {key: _check_block(kind, key, value) for key, value in raw["text"].items()}
    return Wording(kind=kind, version=raw["version"], titles=MappingProxyType(titles),
                   blocks=MappingProxyType(blocks))
