"""Entity type definitions: validation with paths, refused changes, identifiers, DDL."""

from __future__ import annotations

import pytest

from entities import ddl, queries
from entities.identifiers import column, index, is_name, primary_key, quote_ident, table
from entities.model import Definition
from entities.validation import problems, refused_changes, users_of

HOTEL = Definition.model_validate(
    {"fields": {"code": {"type": "string"}, "city": {"type": "string"}}, "primary_key": "code"}
)
BOOKING = {
    "fields": {
        "booking_id": {"type": "string"},
        "nights": {"type": "number", "required": True},
        "status": {"type": "enum", "values": ["held", "confirmed"]},
    },
    "primary_key": "booking_id",
    "relations": {"profile_id": {"to": "profile"}, "hotel_id": {"to": "hotel"}},
}


def booking(**changes: object) -> Definition:
    return Definition.model_validate({**BOOKING, **changes})


def paths(found: list) -> list[str]:
    return [p.path for p in found]


def test_a_valid_definition_has_no_problem() -> None:
    assert problems("booking", booking(), {"hotel": HOTEL}) == []


def test_every_problem_is_reported_with_its_path() -> None:
    d = booking(
        fields={
            "booking_id": {"type": "json"},
            "Bad-Name": {"type": "colour"},
            "status": {"type": "enum"},
            "nights": {"type": "number", "values": ["x"]},
        },
        relations={"hotel_id": {"to": "nowhere"}, "a": {"to": "profile"}, "b": {"to": "profile"}},
    )
    assert paths(problems("1booking", d, {})) == [
        "name",
        "fields.Bad-Name",
        "fields.Bad-Name.type",
        "fields.status.values",
        "fields.nights.values",
        "fields.booking_id.type",
        "relations.hotel_id.to",
        "relations",
    ]


def test_a_missing_key_and_a_relation_named_as_a_field() -> None:
    d = booking(primary_key="nope", relations={"nights": {"to": "profile"}})
    assert paths(problems("booking", d, {})) == ["primary_key", "relations.nights"]


def test_retyping_rekeying_and_removing_relations_are_refused_with_their_paths() -> None:
    new = booking(
        fields={
            "booking_id": {"type": "string"},
            "nights": {"type": "string"},
            "status": {"type": "enum", "values": ["held"]},
            "ref": {"type": "string"},
        },
        relations={"profile_id": {"to": "profile"}},
    )
    assert paths(refused_changes(booking(), new)) == [
        "fields.nights.type",
        "fields.status.values",
        "relations.hotel_id",
    ]


def test_removing_a_field_drops_its_column() -> None:
    removed = booking(fields={"booking_id": {"type": "string"}}, primary_key="booking_id")
    assert refused_changes(booking(), removed) == []
    assert ddl.alter("booking", booking(), removed, {"hotel": HOTEL}) == [
        'ALTER TABLE "entities"."e_booking" DROP COLUMN "nights"',
        'ALTER TABLE "entities"."e_booking" DROP COLUMN "status"',
    ]


def test_adding_fields_relations_and_enum_values_is_allowed() -> None:
    new = booking(
        fields={
            **BOOKING["fields"],  # type: ignore[dict-item]
            "status": {"type": "enum", "values": ["held", "confirmed", "cancelled"]},
            "checkin": {"type": "date"},
        },
    )
    assert refused_changes(booking(), new) == []
    assert ddl.alter("booking", booking(), new, {"hotel": HOTEL}) == [
        'ALTER TABLE "entities"."e_booking" ADD COLUMN "checkin" date'
    ]


def test_the_table_and_its_indexes() -> None:
    assert ddl.create("booking", booking(), {"hotel": HOTEL}) == [
        'CREATE TABLE "entities"."e_booking" ("booking_id" text, '
        '"nights" double precision, "status" text, "profile_id" text, "hotel_id" text, '
        '"_created_at" timestamptz NOT NULL DEFAULT now(), '
        '"_updated_at" timestamptz NOT NULL DEFAULT now(), '
        'CONSTRAINT "k:booking" PRIMARY KEY ("booking_id"))',
        'CREATE INDEX "i:booking:profile_id" ON "entities"."e_booking" '
        '("profile_id", "_updated_at")',
        'CREATE INDEX "i:booking:hotel_id" ON "entities"."e_booking" ("hotel_id", "_updated_at")',
        *ddl.triggers("booking"),
    ]
    assert ddl.triggers("booking")[0] == (
        'CREATE TRIGGER audiences_insert AFTER INSERT ON "entities"."e_booking" '
        "REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION entity_audience_enqueue('booking')"
    )


def test_a_relation_column_has_the_type_of_its_targets_key() -> None:
    room = Definition.model_validate({"fields": {"n": {"type": "number"}}, "primary_key": "n"})
    d = booking(relations={"room": {"to": "room"}})
    assert '"room" double precision' in ddl.create("booking", d, {"room": room})[0]


HOSTILE = 'x"; DROP TABLE profiles; --'


def test_a_hostile_name_is_refused_and_quoting_keeps_it_one_identifier() -> None:
    assert not is_name(HOSTILE)
    assert quote_ident(HOSTILE) == '"x""; DROP TABLE profiles; --"'
    assert paths(problems(HOSTILE, booking(), {"hotel": HOTEL})) == ["name"]
    with pytest.raises(ValueError):
        table(HOSTILE)
    with pytest.raises(ValueError):
        column(HOSTILE)
    with pytest.raises(ValueError):
        quote_ident("a\0b")


def test_index_names_never_collide_with_tables_or_each_other() -> None:
    # "a" + "b__c" and "a__b" + "c" would both be e_a__b__c by plain joining
    assert index("a", "b__c") == '"i:a:b__c"' != index("a__b", "c") == '"i:a__b:c"'
    long_type, long_col = "t" * 48, "c" * 47
    assert index(long_type, long_col + "x") != index(long_type, long_col + "y")
    assert len(index(long_type, long_col + "x")) == 2 + 42
    assert primary_key("booking") == '"k:booking"'


@pytest.mark.parametrize("name", ["booking", "b", "order_line2", "a" * 48])
def test_names_that_pass(name: str) -> None:
    assert is_name(name)


@pytest.mark.parametrize("name", ["", "Booking", "_x", "2x", "a-b", "a b", "a" * 49, "é"])
def test_names_that_fail(name: str) -> None:
    assert not is_name(name)


def test_queries_carry_values_as_parameters_only() -> None:
    assert queries.page("booking", booking(), ["status", "profile_id"], after=True) == (
        'SELECT "booking_id", "nights", "status", "profile_id", "hotel_id", "_created_at", '
        '"_updated_at" FROM "entities"."e_booking" WHERE "status" = $1 AND "profile_id" = $2 '
        'AND "booking_id" > $3 ORDER BY "booking_id" LIMIT $4'
    )


def test_a_type_others_point_at_names_them() -> None:
    assert users_of("hotel", {"hotel": HOTEL, "booking": booking()}) == ["booking.hotel_id"]
    assert users_of("booking", {"hotel": HOTEL, "booking": booking()}) == []
