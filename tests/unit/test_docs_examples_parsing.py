"""How the docs-example harness reads a block: commands across lines and quotes, and the
answers their comments document."""

from __future__ import annotations

from pathlib import Path

from tests.integration.docs_examples import Block, commands, matches, section

BLOCK = """H="x"  # not an answer
curl -sX PUT localhost:8000/a -d '{
  "k": "# not a comment"}'   # 201 {"id": "a", ...}
# a remark
curl -s localhost:8000/b \\
  -H "$H"
# e.g. {"score": 0.7,
#  "items": [...]}
"""


def test_commands_span_lines_and_quotes_and_carry_their_answers() -> None:
    found = commands(Block(Path("x.md"), 10, "bash", BLOCK))
    assert [(c.line, c.end) for c in found] == [(10, 10), (11, 12), (14, 15)]
    assert found[0].answer is None and found[0].status is None
    assert (found[1].status, found[1].answer, found[1].shape_only) == (201, {"id": "a"}, False)
    assert found[2].answer == {"score": 0.7, "items": []} and found[2].shape_only


def test_answers_match_what_the_comment_shows_and_no_more() -> None:
    assert matches({"id": "prop_…", "n": "…"}, {"id": "prop_42", "n": 3, "extra": 1})
    assert not matches({"id": "prop_…"}, {"id": "offer_42"})
    assert matches({"l": [{"a": 1}, {"a": 3}]}, {"l": [{"a": 1}, {"a": 2}, {"a": 3}]})
    assert not matches({"l": [{"a": 3}, {"a": 1}]}, {"l": [{"a": 1}, {"a": 3}]})
    assert matches({"score": 0.7}, {"score": 0.2}, shape_only=True)
    assert not matches({"score": 0.7}, {"other": 0.7}, shape_only=True)


def test_markers_skip_a_block_or_name_its_file(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "## A\n<!-- not run: needs SMTP -->\n```bash\ncurl x\n```\n"
        "<!-- file: people.csv -->\n```csv\na,b\n```\n```bash\ncurl y\n```\n## B\n```sh\nz\n```\n"
    )
    blocks = section(page, "## A").blocks
    assert [(b.line, b.skip, b.file) for b in blocks] == [
        (4, "needs SMTP", None),
        (8, None, "people.csv"),
        (11, None, None),
    ]
