"""deploy/kibana/bazaarwatch.ndjson against the index mapping: the file parses and is what
deploy/kibana/build.py writes, every reference resolves, and every field an object names exists
in the live mapping of its index with a type that fits its use."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

ROOT = Path(__file__).resolve().parents[1]
NDJSON = ROOT / "deploy" / "kibana" / "bazaarwatch.ndjson"
NUMERIC = {"long", "double", "integer", "float"}
# What a use needs of a field: any type, an aggregatable one, a number, a date.
AGGREGATABLE = {"keyword", "long", "double", "date", "boolean"}
USES: dict[str, set[str] | None] = {
    "column": None, "sort": AGGREGATABLE, "query": None, "time": {"date"},
    "terms": AGGREGATABLE, "date_histogram": {"date"}, "sum": NUMERIC, "average": NUMERIC,
    "max": NUMERIC | {"date"}, "min": NUMERIC | {"date"}, "unique_count": AGGREGATABLE,
}
KQL_FIELD = re.compile(r"([A-Za-z@_][\w.@]*)\s*(?::|>=|<=|>|<)")


def load() -> list[dict[str, Any]]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines()]


def field_types(properties: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every field of a mapping, multi-fields included (`title.keyword`)."""
    out: dict[str, str] = {}
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if "properties" in spec:
            out.update(field_types(spec["properties"], f"{path}."))
            continue
        out[path] = spec["type"]
        for sub, sub_spec in spec.get("fields", {}).items():
            out[f"{path}.{sub}"] = sub_spec["type"]
    return out


def fields_named(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, use) pairs an object names."""
    a, out = obj["attributes"], []
    if obj["type"] == "index-pattern" and a.get("timeFieldName"):
        out.append((a["timeFieldName"], "time"))
    if obj["type"] == "search":
        out += [(c, "column") for c in a.get("columns", [])]
        out += [(s[0], "sort") for s in a.get("sort", [])]
        source = json.loads(a["kibanaSavedObjectMeta"]["searchSourceJSON"])
        out += [(f, "query") for f in KQL_FIELD.findall(source["query"]["query"])]
    if obj["type"] == "lens":
        for layer in a["state"]["datasourceStates"]["formBased"]["layers"].values():
            for col in layer["columns"].values():
                if col.get("sourceField") and col["sourceField"] != "___records___":
                    out.append((col["sourceField"], col["operationType"]))
        out += [(f, "query") for f in KQL_FIELD.findall(a["state"]["query"]["query"])]
    return out


def data_view_of(obj: dict[str, Any]) -> str | None:
    refs = [r["id"] for r in obj["references"] if r["type"] == "index-pattern"]
    assert len(set(refs)) <= 1, f"{obj['id']} uses several data views"
    return refs[0] if refs else (obj["id"] if obj["type"] == "index-pattern" else None)


def test_file_parses_and_is_what_the_builder_writes() -> None:
    spec = importlib.util.spec_from_file_location("kibana_build", NDJSON.with_name("build.py"))
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert NDJSON.read_text(encoding="utf-8") == build.render(), \
        "deploy/kibana/bazaarwatch.ndjson is stale: run python deploy/kibana/build.py"
    objects = load()
    for obj in objects:
        assert {"id", "type", "attributes", "references"} <= set(obj), obj.get("id")
        for key in ("panelsJSON", "optionsJSON"):  # nested JSON strings parse too
            if key in obj["attributes"]:
                json.loads(obj["attributes"][key])
    assert len({(o["type"], o["id"]) for o in objects}) == len(objects)
    assert {o["type"] for o in objects} == {"index-pattern", "search", "lens", "dashboard"}


def test_every_reference_resolves() -> None:
    objects = load()
    known = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in known, f"{obj['id']} -> {ref}"
        if obj["type"] == "dashboard":
            names = {r["name"] for r in obj["references"]}
            for panel in json.loads(obj["attributes"]["panelsJSON"]):
                assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names
        if obj["type"] == "lens":
            names = {r["name"] for r in obj["references"]}
            layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            for layer_id, layer in layers.items():
                assert f"indexpattern-datasource-layer-{layer_id}" in names
                assert set(layer["columnOrder"]) == set(layer["columns"])
                for col in layer["columns"].values():
                    order = col.get("params", {}).get("orderBy", {})
                    assert order.get("columnId", next(iter(layer["columns"]))) in layer["columns"]
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] in {r["name"] for r in obj["references"]}


@pytest.mark.elasticsearch
def test_every_field_exists_in_the_mapping_with_a_fitting_type(es: Elasticsearch,
                                                               es_indices: str) -> None:
    objects = load()
    views = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    types: dict[str, dict[str, str]] = {}
    for view, title in views.items():
        (body,) = es.indices.get_mapping(index=f"{es_indices}{title}").values()
        types[view] = field_types(body["mappings"]["properties"])
    checked = 0
    for obj in objects:
        view = data_view_of(obj)
        for name, use in fields_named(obj):
            assert view is not None, f"{obj['id']} names {name} but has no data view"
            assert name in types[view], f"{obj['id']}: {name} is not in {views[view]}"
            wanted = USES[use]
            assert wanted is None or types[view][name] in wanted, (
                f"{obj['id']}: {name} is {types[view][name]}, {use} needs {sorted(wanted)}")
            checked += 1
    assert checked >= 30
