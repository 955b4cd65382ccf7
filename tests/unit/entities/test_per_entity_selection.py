"""Per-entity selections: their problems with paths, and SQL where values stay parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from entities.model import Definition
from entities.selection import PerEntity, entity_scope, key_text, problems, records_query

HOTEL = Definition.model_validate(
    {"fields": {"code": {"type": "string"}, "city": {"type": "string"}}, "primary_key": "code"}
)
BOOKING = Definition.model_validate(
    {
        "fields": {
            "booking_id": {"type": "string"},
            "nights": {"type": "number"},
            "status": {"type": "enum", "values": ["held", "confirmed"]},
            "departure": {"type": "date"},
            "extra": {"type": "json"},
        },
        "primary_key": "booking_id",
        "relations": {"guest": {"to": "profile"}, "hotel": {"to": "hotel"}},
    }
)
NOTE = Definition.model_validate({"fields": {"n": {"type": "number"}}, "primary_key": "n"})
KNOWN = {"booking": BOOKING, "hotel": HOTEL, "note": NOTE}
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def per(**data: object) -> PerEntity:
    return PerEntity.model_validate({"entity": "booking", **data})


def paths(found: list) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in found]


def test_a_valid_selection_has_no_problem() -> None:
    where = [
        {"field": "status", "op": "eq", "value": "confirmed"},
        {"field": "departure", "op": "within_next", "value": "P7D"},
        {"field": "nights", "op": "in", "value": [1, 2]},
        {"field": "extra", "op": "exists"},
        {"field": "hotel", "op": "eq", "value": "LYS"},
    ]
    assert problems(per(where=where), KNOWN) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"entity": "flight"}, ("per.entity", "entity type 'flight' does not exist")),
        (
            {"entity": "Robert'); DROP"},
            ("per.entity", 'entity type "Robert\'); DROP" does not exist'),
        ),
        ({"entity": "note"}, ("per.entity", "entity type 'note' has no relation to the profile")),
        (
            {"relation": "hotel"},
            ("per.relation", "not a relation of 'booking' to the profile; known: guest"),
        ),
        (
            {"where": [{"field": "colour", "op": "eq", "value": "red"}]},
            (
                "per.where[0].field",
                "unknown field; known: booking_id, nights, status, departure, extra, guest, hotel",
            ),
        ),
        (
            {"where": [{"field": "hotel.stars", "op": "eq", "value": 3}]},
            ("per.where[0].field", "'stars' is not a field or relation of hotel"),
        ),
        (
            {"where": [{"field": "guest.email", "op": "eq", "value": "a@b.c"}]},
            ("per.where[0].field", "'guest' points at the profile, which a path cannot follow"),
        ),
        (
            {"where": [{"field": 'hotel"; DROP.city', "op": "eq", "value": "x"}]},
            ("per.where[0].field", "'hotel\"; DROP' is not a relation of booking"),
        ),
        (
            {"where": [{"field": "_created_at", "op": "exists"}]},
            (
                "per.where[0].field",
                "unknown field; known: booking_id, nights, status, departure, extra, guest, hotel",
            ),
        ),
        (
            {"where": [{"field": "hotel.city", "op": "within_last", "value": "P1D"}]},
            ("per.where[0].op", "within_last compares a timestamp or date field, not string"),
        ),
        (
            {"where": [{"field": "status", "op": "eq", "value": "gone"}]},
            ("per.where[0].value", "must be one of held, confirmed"),
        ),
        (
            {"where": [{"field": "nights", "op": "eq", "value": "many"}]},
            ("per.where[0].value", "must be a number"),
        ),
        (
            {"where": [{"field": "nights", "op": "within_last", "value": "P1D"}]},
            ("per.where[0].op", "within_last compares a timestamp or date field, not number"),
        ),
        (
            {"where": [{"field": "extra", "op": "eq", "value": 1}]},
            ("per.where[0].op", "a json field is tested with exists or not_exists"),
        ),
        (
            {"where": [{"field": "status", "op": "in", "value": []}]},
            ("per.where[0].value", "in takes a non-empty list"),
        ),
    ],
)
def test_each_problem_names_its_field(data: dict, expected: tuple[str, str]) -> None:
    assert paths(problems(per(**data), KNOWN)) == [expected]


def test_hostile_values_are_parameters_never_sql() -> None:
    hostile = "x'; DROP TABLE profiles; --"
    where = [
        {"field": "booking_id", "op": "eq", "value": hostile},
        {"field": "hotel", "op": "not_in", "value": [hostile, "$1"]},
        {"field": "departure", "op": "within_next", "value": "P7D"},
        {"field": "nights", "op": "gte", "value": 2},
    ]
    query = records_query(per(where=where, limit=3), KNOWN, NOW)
    assert hostile not in query.sql and "DROP" not in query.sql
    assert query.args == [hostile, [hostile, "$1"], date(2026, 12, 3), date(2026, 12, 10), 2.0, 3]
    assert query.sql == (
        'SELECT m.i AS _member, t."booking_id", t."nights", t."status", t."departure", '
        't."extra", t."guest", t."hotel", CASE WHEN r0."code" IS NULL THEN NULL ELSE '
        "to_jsonb(r0) END AS _r0 FROM unnest($1::text[]) WITH ORDINALITY AS m (profile_id, i) "
        'CROSS JOIN LATERAL (SELECT x.* FROM "entities"."e_booking" x WHERE x."guest" = '
        'm.profile_id AND COALESCE(x."booking_id" = $2::text, false) AND NOT '
        'COALESCE(x."hotel" = ANY($3::text[]), false) AND COALESCE(x."departure" BETWEEN '
        '$4::date AND $5::date, false) AND COALESCE(x."nights" >= $6::double precision, false) '
        'ORDER BY x."booking_id" LIMIT $7::integer) t LEFT JOIN "entities"."e_hotel" r0 ON '
        'r0."code" = t."hotel" ORDER BY m.i, t."booking_id"'
    )
    assert query.relation == "guest" and query.related == ["hotel"]


def test_a_path_through_a_relation_joins_it_once_with_values_as_parameters() -> None:
    hostile = "Lyon' OR 1=1; --"
    where = [
        {"field": "hotel.city", "op": "eq", "value": hostile},
        {"field": "hotel.code", "op": "ne", "value": "NCE"},
        {"field": "status", "op": "eq", "value": "confirmed"},
    ]
    assert problems(per(where=where), KNOWN) == []
    query = records_query(per(where=where, limit=2), KNOWN, NOW)
    assert hostile not in query.sql and "OR 1=1" not in query.sql
    assert query.args == [hostile, "NCE", "confirmed", 2]
    assert query.sql == (
        'SELECT m.i AS _member, t."booking_id", t."nights", t."status", t."departure", '
        't."extra", t."guest", t."hotel", CASE WHEN r0."code" IS NULL THEN NULL ELSE '
        "to_jsonb(r0) END AS _r0 FROM unnest($1::text[]) WITH ORDINALITY AS m (profile_id, i) "
        'CROSS JOIN LATERAL (SELECT x.* FROM "entities"."e_booking" x LEFT JOIN '
        '"entities"."e_hotel" p1 ON p1."code" = x."hotel" WHERE x."guest" = m.profile_id AND '
        'COALESCE(p1."city" = $2::text, false) AND p1."code" IS DISTINCT FROM $3::text AND '
        'COALESCE(x."status" = $4::text, false) ORDER BY x."booking_id" LIMIT $5::integer) t '
        'LEFT JOIN "entities"."e_hotel" r0 ON r0."code" = t."hotel" ORDER BY m.i, t."booking_id"'
    )


def test_the_limit_is_bounded() -> None:
    with pytest.raises(ValueError):
        per(limit=101)


def test_a_record_as_templates_see_it() -> None:
    row = {
        "booking_id": "b-1",
        "nights": 3.0,
        "status": "confirmed",
        "departure": date(2026, 12, 5),
        "extra": None,
        "guest": "p-1",
        "hotel": "LYS",
        "_r0": {"code": "LYS", "city": "Lyon", "_created_at": "2026-12-01T00:00:00+00:00"},
    }
    assert entity_scope("booking", BOOKING, row, ["hotel"]) == {
        "type": "booking",
        "key": "b-1",
        "fields": {
            "booking_id": "b-1",
            "nights": 3,
            "status": "confirmed",
            "departure": "2026-12-05",
            "extra": None,
            "guest": "p-1",
            "hotel": "LYS",
        },
        "related": {"hotel": {"code": "LYS", "city": "Lyon"}},
    }


def test_key_text_is_the_url_form() -> None:
    assert (key_text(3.0), key_text(2.5), key_text("b-1")) == ("3", "2.5", "b-1")
