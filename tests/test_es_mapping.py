"""The listing mapping against the dataclasses it indexes: every field of `Listing.to_doc()` is
mapped with a type that fits its Python type, and nothing is mapped that the listing lacks.
Pure (the live-index twin of this check is in test_es_setup.py)."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any

import pytest

from monitor.es.mappings import ALERT_PROPERTIES, HISTORY_PROPERTIES, LISTING_PROPERTIES
from monitor.models import Listing

from .fixtures.elasticsearch import kotz_listing

# Python leaf type -> Elasticsearch types that hold it faithfully.
COMPATIBLE: dict[type, set[str]] = {
    str: {"keyword", "text"},
    int: {"long"},
    float: {"double"},
    bool: {"boolean"},
    datetime: {"date"},
}
RENAMED = {"timestamp": "@timestamp"}
NOT_INDEXED = {"id"}  # the document's _id
COMPUTED = {"content_sha256": str}  # added by to_doc()


def _leaf_type(hint: Any) -> Any:
    """Strip `X | None`, `tuple[X, ...]` and `Literal[...]` down to X."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        assert len(args) == 1, f"ambiguous type {hint}"
        return _leaf_type(args[0])
    if origin is tuple:
        return _leaf_type(typing.get_args(hint)[0])
    if origin is typing.Literal:
        return type(typing.get_args(hint)[0])
    return hint


def dataclass_fields(cls: type, prefix: str = "") -> dict[str, type]:
    """Every leaf field of a dataclass tree as `dotted.path -> python type`."""
    out: dict[str, type] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if not prefix and f.name in NOT_INDEXED:
            continue
        name = prefix + (f.name if prefix else RENAMED.get(f.name, f.name))
        leaf = _leaf_type(hints[f.name])
        if dataclasses.is_dataclass(leaf):
            out.update(dataclass_fields(leaf, name + "."))
        else:
            out[name] = leaf
    return out


def mapped_fields(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in properties.items():
        if "properties" in spec:
            out.update(mapped_fields(spec["properties"], f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = spec["type"]
    return out


LISTING_FIELDS = {**dataclass_fields(Listing), **COMPUTED}
MAPPED = mapped_fields(LISTING_PROPERTIES)


@pytest.mark.parametrize("path", sorted(LISTING_FIELDS))
def test_every_listing_field_is_mapped_with_a_compatible_type(path: str) -> None:
    assert path in MAPPED, f"{path} is a Listing field without a mapping in monitor/es/mappings.py"
    assert MAPPED[path] in COMPATIBLE[LISTING_FIELDS[path]], (
        f"{path}: Python {LISTING_FIELDS[path].__name__} mapped as {MAPPED[path]}")


@pytest.mark.parametrize("path", sorted(MAPPED))
def test_nothing_is_mapped_that_the_listing_lacks(path: str) -> None:
    assert path in LISTING_FIELDS, f"{path} is mapped but is no field of Listing.to_doc()"


def test_the_example_listing_fills_every_field() -> None:
    def leaves(doc: dict[str, Any], prefix: str = "") -> set[str]:
        found: set[str] = set()
        for k, v in doc.items():
            items = v if isinstance(v, list) else [v]
            for item in items:
                if isinstance(item, dict):
                    found |= leaves(item, f"{prefix}{k}.")
                else:
                    found.add(f"{prefix}{k}")
        return found

    doc = kotz_listing().to_doc()
    assert leaves(doc) == set(LISTING_FIELDS)
    defaults = dataclasses.asdict(Listing(id="x", source=kotz_listing().source,
                                          url=kotz_listing().url, title="", body=""))
    filled = dataclasses.asdict(kotz_listing())
    for f in dataclasses.fields(Listing):
        if f.name not in ("id", "source", "url", "title", "body"):
            assert filled[f.name] != defaults[f.name], f"example leaves {f.name} at its default"


@pytest.mark.parametrize("properties", [LISTING_PROPERTIES, HISTORY_PROPERTIES, ALERT_PROPERTIES],
                         ids=["listings", "listing-history", "alerts"])
def test_every_object_is_strict(properties: dict[str, Any]) -> None:
    def objects(props: dict[str, Any], prefix: str = "") -> list[tuple[str, dict]]:
        out = []
        for name, spec in props.items():
            if "properties" in spec:
                out.append((prefix + name, spec))
                out += objects(spec["properties"], f"{prefix}{name}.")
        return out

    for path, spec in objects(properties):
        assert spec.get("dynamic") == "strict", f"{path} is not dynamic: strict"


def test_history_is_the_listing_plus_its_id() -> None:
    assert set(HISTORY_PROPERTIES) - set(LISTING_PROPERTIES) == {"listing_id"}
