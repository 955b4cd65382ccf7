"""imports/json_paths.py: the one way both doors name a value inside a JSON document."""

from __future__ import annotations

import itertools

from imports.json_paths import walk


def test_every_value_in_document_order_with_its_path_and_depth() -> None:
    doc = {"events": [{"name": "a", "tags": [1, 2]}], "n": 3}
    assert list(walk(doc)) == [
        ("", doc, 0),
        ("events", doc["events"], 1),
        ("events[0]", doc["events"][0], 2),
        ("events[0].name", "a", 3),
        ("events[0].tags", [1, 2], 3),
        ("events[0].tags[0]", 1, 4),
        ("events[0].tags[1]", 2, 4),
        ("n", 3, 1),
    ]


def test_a_root_prefixes_every_path() -> None:
    assert [p for p, _, _ in walk({"a": [True]}, "attributes")] == [
        "attributes",
        "attributes.a",
        "attributes.a[0]",
    ]


def test_a_deep_document_is_walked_without_recursion_and_only_as_far_as_asked() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    first = list(itertools.islice(walk(deep), 65))
    assert [d for _, _, d in first] == list(range(65))
    assert first[-1][0] == "[0]" * 64
