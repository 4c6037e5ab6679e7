"""Routing documents shipped with the package (``smarketing/routing/defaults/*.json``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from smarketing.routing.rules import KnownNames, RoutingRules, parse_rules

__all__ = ["PRESETS", "load_preset", "preset_document"]

#: Shipped documents: name -> what it is for.
PRESETS = {"demo": "the demo workspace, Nordwood Kitchens & Furniture (teams iberia, italia)"}


def preset_document(name: str) -> dict[str, Any]:
    """The JSON of a shipped document, as a fresh dict the caller may change."""
    if name not in PRESETS:
        raise KeyError(f"unknown routing preset {name!r} (known: {', '.join(sorted(PRESETS))})")
    text = resources.files("smarketing.routing").joinpath("defaults", f"{name}.json").read_text(
        encoding="utf-8"
    )
    document: dict[str, Any] = json.loads(text)
    return document


def load_preset(name: str, known: KnownNames | None = None) -> RoutingRules:
    """A shipped document, parsed and validated (against ``known`` when given)."""
    return parse_rules(preset_document(name), known)
