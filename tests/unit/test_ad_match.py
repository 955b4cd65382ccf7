"""Customer-list matching: normalised emails and phones, and their SHA-256, pinned."""

from __future__ import annotations

from contacts.ad_match import customer_list, hashed_row, normal_email, normal_phone

ADA_SHA256 = "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72"
PHONE_SHA256 = "42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8"


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normal_email("  Ada@Example.COM \n") == "ada@example.com"
    assert normal_email("not an address") is None
    assert normal_email("   ") is None and normal_email(None) is None


def test_phone_becomes_e164() -> None:
    assert normal_phone(" +33 6 12 34 56 78 ") == "+33612345678"
    assert normal_phone("+33 (0)6 12 34 56 78") is None  # the national prefix is not dialled
    assert normal_phone("0612345678") is None  # no country code: no guess


def test_hashes_are_sha256_of_the_normal_form() -> None:
    row = hashed_row(["email", "phone"], "  Ada@Example.COM ", "+33 6 12 34 56 78")
    assert row == [ADA_SHA256, PHONE_SHA256]
    assert hashed_row(["phone"], "ada@example.com", None) == [None]


def test_customer_list_shape_drops_rows_without_identifiers() -> None:
    rows = [[ADA_SHA256, None], [None, None], [None, PHONE_SHA256]]
    assert customer_list(["email", "phone"], rows) == {
        "schema": ["EMAIL_SHA256", "PHONE_SHA256"],
        "data": [[ADA_SHA256, None], [None, PHONE_SHA256]],
    }
