"""How an exported row is written: CSV quoting, NDJSON with attribute JSON kept as is, the
file name of a run."""

from __future__ import annotations

import json

from activities.destinations.files import filename
from activities.destinations.records import CsvLines, Fields
from activities.destinations.stream import _profile
from core.destinations import FileSpec, LocalTarget
from entities.model import Definition
from entities.queries import profile_records

FIELDS = ["profile_id", "email", "attributes.plan", "attributes.address.city"]


def row(**values: object) -> dict[str, object]:
    return {"profile_id": "p-1", "email": None, "phone": None, "timezone": None, **values}


def test_ndjson_keeps_attribute_json_and_encodes_identifiers() -> None:
    line = Fields(FIELDS).ndjson(row(email='a"b@example.com', attrs=['{"tier": 2}', None]))
    assert line == (
        '{"profile_id":"p-1","email":"a\\"b@example.com","attributes.plan":{"tier": 2},'
        '"attributes.address.city":null}\n'
    )
    assert json.loads(line)["attributes.plan"] == {"tier": 2}


def test_csv_quotes_what_needs_it_and_leaves_nulls_empty() -> None:
    fields = Fields(FIELDS, extra=("change",))
    lines = CsvLines().lines(
        [fields.names, fields.values(row(change="exited", attrs=["pro, team", 'Lyon "2"']))]
    )
    assert lines == (
        "change,profile_id,email,attributes.plan,attributes.address.city\n"
        'exited,p-1,,"pro, team","Lyon ""2"""\n'
    )


def test_a_scheduled_run_file_name_has_no_colon() -> None:
    spec = FileSpec(format="ndjson", target=LocalTarget(type="local"))
    assert filename("crm", "destination:crm:run:scheduled-2026-12-03T06:00:00Z", spec) == (
        "crm-scheduled-2026-12-03T060000Z.ndjson.gz"
    )
    plain = FileSpec(format="csv", gzip=False, target=LocalTarget(type="local"))
    assert filename("crm", "destination:crm:run:3f2a9c1d7e4b", plain) == "crm-3f2a9c1d7e4b.csv"


def test_entity_fields_take_their_own_slots_beside_attributes() -> None:
    fields = Fields(["entities.booking", "attributes.plan", "entities.order", "profile_id"])
    line = fields.ndjson(row(attrs=['"pro"'], ents=['[{"booking_id": "b1"}]', "[]"]))
    assert line == (
        '{"entities.booking":[{"booking_id": "b1"}],"attributes.plan":"pro",'
        '"entities.order":[],"profile_id":"p-1"}\n'
    )


def test_a_stream_change_carries_entity_records_as_json() -> None:
    fields = ["profile_id", "entities.booking", "attributes.plan"]
    got = _profile(fields, row(attrs=["pro"], ents=['[{"booking_id": "b1", "nights": 2}]']))
    assert got == {
        "profile_id": "p-1",
        "entities.booking": [{"booking_id": "b1", "nights": 2}],
        "attributes.plan": "pro",
    }


def test_profile_records_sql_quotes_every_name_and_takes_ids_as_a_parameter() -> None:
    d = Definition.model_validate(
        {
            "fields": {"booking_id": {"type": "string"}, "nights": {"type": "number"}},
            "primary_key": "booking_id",
            "relations": {"guest": {"to": "profile"}, "payer": {"to": "profile"}},
        }
    )
    assert profile_records("booking", d) == (
        "SELECT r.profile_id, jsonb_agg(jsonb_build_object('booking_id', t.\"booking_id\", "
        "'nights', t.\"nights\", 'guest', t.\"guest\", 'payer', t.\"payer\") "
        'ORDER BY t."booking_id")::text AS records FROM "entities"."e_booking" t '
        'CROSS JOIN LATERAL (VALUES (t."guest"), (t."payer")) AS r(profile_id) '
        "WHERE r.profile_id = ANY($1::text[]) GROUP BY r.profile_id"
    )
