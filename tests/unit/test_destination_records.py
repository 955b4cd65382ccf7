"""How an exported row is written: CSV quoting, NDJSON with attribute JSON kept as is, the
file name of a run."""

from __future__ import annotations

import json

from activities.destinations.files import filename
from activities.destinations.records import CsvLines, Fields
from core.destinations import FileSpec, LocalTarget

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
