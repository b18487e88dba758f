#!/usr/bin/env python3
"""Writes deploy/kibana/bazaarwatch.ndjson, the Kibana 9 saved objects of Bazaarwatch: data views
on `listings` and `alerts`, saved searches, Lens panels and the overview dashboard.

Kibana stores nested state as JSON strings inside JSON; writing that by hand invites typos, so
the objects are built here and the NDJSON is generated: edit this file, run
`python deploy/kibana/build.py`, commit both. tests/test_kibana_objects.py checks that the NDJSON
is what this script writes, that it parses, that every reference resolves and that every field
it names exists in the index mapping with a type that fits its use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("bazaarwatch.ndjson")
LISTINGS_VIEW = "bazaarwatch-listings"
ALERTS_VIEW = "bazaarwatch-alerts"
CORE_VERSION = "8.8.0"  # the saved-object format these follow; Kibana 9 migrates them on import
# Per type, the migration version these objects are written in, as in Kibana's own sample data
# (home plugin) and exports. Never higher than Kibana knows: it refuses "more recent" objects.
TYPE_VERSIONS = {"index-pattern": "7.11.0", "search": "7.9.3", "lens": "8.9.0",
                 "dashboard": "8.7.0"}
SEARCH_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def data_view(view_id: str, title: str, name: str) -> dict[str, Any]:
    return {
        "id": view_id, "type": "index-pattern", "coreMigrationVersion": CORE_VERSION,
        "typeMigrationVersion": TYPE_VERSIONS["index-pattern"], "managed": False, "references": [],
        "attributes": {"title": title, "name": name, "timeFieldName": "@timestamp",
                       "allowNoIndex": True, "fieldAttrs": "{}", "fieldFormatMap": "{}",
                       "runtimeFieldMap": "{}", "sourceFilters": "[]", "typeMeta": "{}"},
    }


def saved_search(search_id: str, title: str, view_id: str, kql: str, columns: list[str],
                 description: str) -> dict[str, Any]:
    source = {"query": {"query": kql, "language": "kuery"}, "filter": [],
              "indexRefName": SEARCH_REF}
    return {
        "id": search_id, "type": "search", "coreMigrationVersion": CORE_VERSION,
        "typeMigrationVersion": TYPE_VERSIONS["search"], "managed": False,
        "references": [{"name": SEARCH_REF, "type": "index-pattern", "id": view_id}],
        "attributes": {"title": title, "description": description, "columns": columns,
                       "sort": [["@timestamp", "desc"]], "grid": {}, "hideChart": False,
                       "isTextBasedQuery": False,
                       "kibanaSavedObjectMeta": {"searchSourceJSON": dumps(source)}},
    }


def col_terms(field: str, label: str, order_by: str, size: int = 10) -> dict[str, Any]:
    return {"label": label, "dataType": "string", "operationType": "terms", "sourceField": field,
            "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by},
                       "orderDirection": "desc", "otherBucket": True, "missingBucket": False}}


def col_count(label: str) -> dict[str, Any]:
    return {"label": label, "dataType": "number", "operationType": "count",
            "sourceField": "___records___", "isBucketed": False, "scale": "ratio",
            "params": {"emptyAsNull": True}}


def col_sum(field: str, label: str) -> dict[str, Any]:
    return {"label": label, "dataType": "number", "operationType": "sum", "sourceField": field,
            "isBucketed": False, "scale": "ratio", "params": {"emptyAsNull": True}}


def col_date(field: str) -> dict[str, Any]:
    return {"label": field, "dataType": "date", "operationType": "date_histogram",
            "sourceField": field, "isBucketed": True, "scale": "interval",
            "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}


def lens(lens_id: str, title: str, view_id: str, columns: dict[str, dict[str, Any]],
         visualization_type: str, visualization: dict[str, Any]) -> dict[str, Any]:
    layer = "layer1"
    state = {
        "datasourceStates": {"formBased": {"layers": {layer: {
            "columns": columns, "columnOrder": list(columns), "incompleteColumns": {},
        }}}},
        "visualization": visualization, "query": {"query": "", "language": "kuery"},
        "filters": [], "adHocDataViews": {}, "internalReferences": [],
    }
    return {
        "id": lens_id, "type": "lens", "coreMigrationVersion": CORE_VERSION,
        "typeMigrationVersion": TYPE_VERSIONS["lens"], "managed": False,
        "references": [{"type": "index-pattern", "id": view_id,
                        "name": f"indexpattern-datasource-layer-{layer}"}],
        "attributes": {"title": title, "description": "", "visualizationType": visualization_type,
                       "state": state},
    }


def xy(series: str, x: str, y: str, split: str | None = None) -> dict[str, Any]:
    layer: dict[str, Any] = {"layerId": "layer1", "layerType": "data", "seriesType": series,
                             "xAccessor": x, "accessors": [y]}
    if split:
        layer["splitAccessor"] = split
    return {"legend": {"isVisible": True, "position": "right"}, "valueLabels": "hide",
            "preferredSeriesType": series, "layers": [layer]}


def table(*column_ids: str) -> dict[str, Any]:
    return {"layerId": "layer1", "layerType": "data",
            "columns": [{"columnId": c} for c in column_ids]}


def dashboard(dash_id: str, title: str, panels: list[tuple[str, str, int, int, int, int]]
              ) -> dict[str, Any]:
    """`panels`: (type, id, x, y, w, h) on Kibana's 48-column grid."""
    panels_json, references = [], []
    for n, (ptype, pid, x, y, w, h) in enumerate(panels, 1):
        key = f"p{n}"
        panels_json.append({"type": ptype, "panelIndex": key, "panelRefName": f"panel_{key}",
                            "gridData": {"x": x, "y": y, "w": w, "h": h, "i": key},
                            "embeddableConfig": {"enhancements": {}}})
        references.append({"name": f"{key}:panel_{key}", "type": ptype, "id": pid})
    return {
        "id": dash_id, "type": "dashboard", "coreMigrationVersion": CORE_VERSION,
        "typeMigrationVersion": TYPE_VERSIONS["dashboard"], "managed": False,
        "references": references,
        "attributes": {
            "title": title,
            "description": "Listings seen on watched forums, sellers, victims and alerts.",
            "panelsJSON": dumps(panels_json),
            "optionsJSON": dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                                  "syncTooltips": False, "hidePanelTitles": False}),
            "timeRestore": True, "timeFrom": "now-30d", "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 60000},
            "kibanaSavedObjectMeta": {"searchSourceJSON": dumps(
                {"query": {"query": "", "language": "kuery"}, "filter": []})},
        },
    }


LISTING_COLUMNS = ["source.name", "seller.handle", "title", "records.claimed", "price.amount",
                   "price.currency", "victim.orgs", "url.full"]


def objects() -> list[dict[str, Any]]:
    return [
        data_view(LISTINGS_VIEW, "listings", "Bazaarwatch listings"),
        data_view(ALERTS_VIEW, "alerts", "Bazaarwatch alerts"),
        saved_search("bazaarwatch-all-listings", "All listings", LISTINGS_VIEW, "",
                     LISTING_COLUMNS, "Every listing, newest first."),
        saved_search("bazaarwatch-claims-1m", "Claims of 1M+ records", LISTINGS_VIEW,
                     "records.claimed >= 1000000", LISTING_COLUMNS,
                     "Listings whose seller claims a million records or more."),
        saved_search("bazaarwatch-matched-rules", "Listings that matched a rule", LISTINGS_VIEW,
                     "rules_matched:*", ["rules_matched", *LISTING_COLUMNS],
                     "Listings that matched at least one watchlist rule."),
        saved_search("bazaarwatch-latest-alerts", "Latest alerts", ALERTS_VIEW, "",
                     ["rule.id", "rule.severity", "kind", "listing.title", "seller.handle",
                      "records.claimed", "delivery.status"],
                     "Alerts sent (or given up on), newest first."),
        lens("bazaarwatch-listings-over-time", "Listings over time by forum", LISTINGS_VIEW,
             {"col-time": col_date("@timestamp"),
              "col-forum": col_terms("source.name.keyword", "Forum", "col-count"),
              "col-count": col_count("Listings")},
             "lnsXY", xy("bar_stacked", "col-time", "col-count", split="col-forum")),
        lens("bazaarwatch-top-sellers", "Top sellers", LISTINGS_VIEW,
             {"col-seller": col_terms("seller.handle.keyword", "Seller", "col-count", 20),
              "col-count": col_count("Listings")},
             "lnsDatatable", table("col-seller", "col-count")),
        lens("bazaarwatch-top-victims", "Top victim organisations", LISTINGS_VIEW,
             {"col-org": col_terms("victim.orgs.keyword", "Organisation", "col-count", 20),
              "col-count": col_count("Listings")},
             "lnsDatatable", table("col-org", "col-count")),
        lens("bazaarwatch-records-by-forum", "Claimed records by forum", LISTINGS_VIEW,
             {"col-forum": col_terms("source.name.keyword", "Forum", "col-records"),
              "col-records": col_sum("records.claimed", "Records claimed")},
             "lnsXY", xy("bar_horizontal", "col-forum", "col-records")),
        dashboard("bazaarwatch-overview", "Bazaarwatch overview", [
            ("lens", "bazaarwatch-listings-over-time", 0, 0, 48, 14),
            ("lens", "bazaarwatch-top-sellers", 0, 14, 16, 15),
            ("lens", "bazaarwatch-top-victims", 16, 14, 16, 15),
            ("lens", "bazaarwatch-records-by-forum", 32, 14, 16, 15),
            ("search", "bazaarwatch-latest-alerts", 0, 29, 48, 15),
        ]),
    ]


def render() -> str:
    return "".join(dumps(o) + "\n" for o in objects())


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT} ({len(objects())} objects)")
