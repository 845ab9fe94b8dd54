"""Child tables of nested JSON lists: named after the target table, linked to their parent's
key, and keyed by that key and the position — so a second file appends to the same tables."""

import json
from pathlib import Path

from tests.agents.test_import_pipeline import run_import
from tests.conftest import MERGER


def geojson(count: int) -> dict:
    """A USGS earthquake feed's shape (GeoJSON, as vega-datasets' earthquakes.json): features
    whose geometry holds a coordinates list [longitude, latitude, depth]."""
    return {
        "type": "FeatureCollection",
        "metadata": {"title": "USGS All Earthquakes, Past Week", "count": count},
        "features": [
            {
                "type": "Feature",
                "properties": {"mag": round(1 + n / 10, 1), "place": f"{n}km W of Castaic, CA"},
                "geometry": {"type": "Point", "coordinates": [-118.6 - n / 100, 34.5, 5.0 + n]},
                "id": f"ci{37868143 + n}",
            }
            for n in range(count)
        ],
    }


def orders(first_id: int, count: int) -> list[dict]:
    return [
        {
            "id": i,
            "customer": f"customer {i}",
            "items": [{"sku": f"S{i}-{n}", "qty": n + 1} for n in range(i % 3)],
        }
        for i in range(first_id, first_id + count)
    ]


def write(root: Path, name: str, records: list[dict]) -> None:
    (root / "shop").mkdir(parents=True, exist_ok=True)
    (root / "shop" / name).write_text(json.dumps(records))


def test_a_second_file_appends_to_the_child_table_named_after_the_target(doltlite_server, tmp_path):
    root = tmp_path / "data"
    write(root, "orders.json", orders(1, 6))  # items: 0, 1, 2, 0, 1, 2 → 6 rows
    write(root, "orders_2.json", orders(7, 300))  # ids 7..306; record numbers repeat 1..6
    database, schema, _, first = run_import(
        "import shop/orders.json into shop.orders",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert [t.name for t in schema.tables] == ["orders", "orders__items"]
    statement = database.create_statements(ref=first.branch)["orders__items"]
    assert "FOREIGN KEY (`orders_id`) REFERENCES `orders` (`id`)" in statement
    assert "PRIMARY KEY (`orders_id`, `_index`)" in statement
    assert "_parent_record" not in statement  # one file's record number: not the link
    assert any("orders__items is keyed by (orders_id, _index)" in n for n in schema.notes)
    database.merge(branch=first.branch, message="first orders", author=MERGER)

    database, schema, plan, second = run_import(
        "import shop/orders_2.json into shop.orders mode append",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert {t.name: t.action for t in schema.tables} == {
        "orders": "existing",
        "orders__items": "existing",
    }
    assert "orders_2__items" not in database.list_tables(ref=second.branch)
    (items_step,) = [s for s in plan.steps if s.table == "orders__items"]
    assert "`orders_2_id` AS `orders_id`" in items_step.select
    assert {t.name: t.rows_added for t in second.tables} == {"orders": 300, "orders__items": 300}
    assert database.count_rows(table="orders", ref=second.branch) == 306
    assert database.count_rows(table="orders__items", ref=second.branch) == 306
    assert second.rejected_rows == 0 and not second.conflicts


def test_a_child_of_a_parent_without_a_key_gets_no_key_and_says_why(doltlite_server, tmp_path):
    root = tmp_path / "data"
    # no id: the parent has no key; each item's sku is unique in this file by chance
    records = [{"name": f"n{i}", "items": [{"sku": f"S{i}", "qty": i}]} for i in range(5)]
    write(root, "baskets.json", records)
    database, schema, _, review = run_import(
        "import shop/baskets.json into shop", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    statement = database.create_statements(ref=review.branch)["baskets__items"]
    assert "PRIMARY KEY" not in statement and "FOREIGN KEY" not in statement
    assert any(n.startswith("baskets__items has no primary key: its parent") for n in schema.notes)
    assert database.count_rows(table="baskets__items", ref=review.branch) == 5


def test_a_child_key_is_the_parent_key_and_position_not_a_coincidentally_unique_column(
    doltlite_server, tmp_path
):
    root = tmp_path / "data"
    write(root, "orders.json", [{"id": 1, "items": [{"item_id": 10}, {"item_id": 11}]}])
    database, _, _, review = run_import(
        "import shop/orders.json into shop", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    statement = database.create_statements(ref=review.branch)["orders__items"]
    assert "PRIMARY KEY (`orders_id`, `_index`)" in statement
    assert "PRIMARY KEY (`item_id`)" not in statement


def test_a_nested_geojson_feed_becomes_a_linked_child_table(doltlite_server, tmp_path):
    """A USGS GeoJSON feed: each feature's coordinates list becomes a linked child table."""
    root = tmp_path / "data"
    (root / "vega").mkdir(parents=True)
    (root / "vega" / "earthquakes.json").write_text(json.dumps(geojson(30)))
    database, schema, _, review = run_import(
        "import vega/earthquakes.json into quakes",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    child = "earthquakes__geometry__coordinates"
    assert [t.name for t in schema.tables] == ["earthquakes", child]
    statement = database.create_statements(ref=review.branch)[child]
    assert "FOREIGN KEY (`earthquakes_id`) REFERENCES `earthquakes` (`id`)" in statement
    assert "PRIMARY KEY (`earthquakes_id`, `_index`)" in statement
    counts = {t.name: t.rows_added for t in review.tables}
    assert counts == {"earthquakes": 30, child: 90}  # longitude, latitude, depth
    assert review.rejected_rows == 0
    assert database.foreign_key_violations(table=child, ref=review.branch) == 0
