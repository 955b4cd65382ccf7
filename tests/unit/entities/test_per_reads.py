"""What a per-entity send reads of the types: its selection's paths and its template."""

from __future__ import annotations

from entities.per_reads import entity_chains, reads
from journeys.per_entity import PerEntity
from tests.unit.entities.test_per_entity_selection import KNOWN


def per(*where: dict[str, object]) -> PerEntity:
    return PerEntity.model_validate({"entity": "booking", "where": list(where)})


def test_a_selection_reads_the_type_each_field_and_each_relation_its_paths_follow() -> None:
    found = reads(
        per(
            {"field": "status", "op": "eq", "value": "confirmed"},
            {"field": "hotel.city", "op": "eq", "value": "Lyon"},
        ),
        KNOWN,
    )
    assert found == {
        ("booking", None),
        ("booking", "status"),
        ("booking", "hotel"),
        ("hotel", "city"),
    }


def test_a_path_that_no_longer_resolves_reads_its_name_as_written() -> None:
    assert reads(per({"field": "departs", "op": "exists"}), KNOWN) == {
        ("booking", None),
        ("booking", "departs"),
    }


def test_a_template_reads_fields_and_related_fields_however_it_spells_them() -> None:
    texts = [
        "{{ entity.fields.nights }} at {{ entity.related.hotel.city }}",
        "{% if entity['related']['hotel'] %}{{ entity['related']['hotel']['code'] }}{% endif %}",
        "{{ profile.first_name }} {{ entity.key }} {{ other.related.hotel.stars }}",
        "{{ entity.related.nowhere.city }} {% broken",
    ]
    assert reads(per(), KNOWN, texts) == {
        ("booking", None),
        ("booking", "nights"),
        ("booking", "hotel"),
        ("hotel", "city"),
        ("hotel", "code"),
    }


def test_each_whole_chain_counts_once_with_what_the_text_cannot_tell_as_any() -> None:
    assert entity_chains("{{ entity.related[name].city }}") == {("related", "*", "city")}
    assert entity_chains("{{ entity.related.hotel.city | upper }}") == {
        ("related", "hotel", "city")
    }
    assert entity_chains("{% for k, v in entity.fields.items() %}{{ v }}{% endfor %}") == {
        ("fields", "*")
    }
    assert entity_chains("{% set e = entity %}{{ e.fields.x }} {{ entity.key }}") == {(), ("key",)}


def test_a_read_the_text_cannot_tell_reads_everything_beneath_it() -> None:
    def found(text: str) -> set[tuple[str, str | None]]:
        return reads(per(), KNOWN, [text]) - {("booking", None)}

    booking = {("booking", c) for c in KNOWN["booking"].columns()}
    hotel = {("hotel", c) for c in KNOWN["hotel"].columns()}
    assert found("{{ entity.fields[name] }}") == booking
    assert found("{{ entity.related.hotel[name] }}") == {("booking", "hotel")} | hotel
    assert found("{{ entity.related[name].city }}") == {("booking", "hotel"), ("hotel", "city")}
    assert found("{{ entity.related | tojson }}") == {("booking", "hotel")} | hotel
    assert found("{{ entity | tojson }}") == booking | hotel
    assert found("{{ entity.key }} {{ entity.related.hotel.get('city') }}") == (
        {("booking", "hotel")} | hotel
    )
