"""Runs the copy-paste examples of a Markdown page as written, and checks the answers their
comments document (issue 20.5): an example that fails as written fails the suite.

A section's ```bash / ```sh blocks run, in order, as one bash script (so a variable one block
sets, like `H` or `RUN`, serves the next), with `KEY`, `H` and `J` set as the README sets
them and `localhost:8000` rewritten to the test server. `curl` is a bash function that runs
the real curl and notes each answer's status and body; every answer must be a success unless
its comment documents the status. A comment after a command (or the comment lines right after
it) documents the answer:

    # 409 {"error": "conflict", ...}   status 409, and these keys with these values
    # {"version": 1, ...}              a success with these keys and values
    # e.g. {"score": 0.73, ...}        a success with these keys; the values are illustrative

`...` stands for more keys, items or any value, and `…` inside a string for any characters.
```python blocks run with `KEY` defined. A ```yaml block that is a whole journey (`id` and
`nodes`) is saved as a draft as written; snippets of a few nodes are left alone. Markers in
HTML comments, alone on the line before a block, change what is done with it:

    <!-- not run: needs an SMTP server -->   skipped, and counted (`Page.skipped`)
    <!-- file: people.csv -->               written to the run's folder for later blocks

The examples run once per test session against its fresh database, so their ids are their
own: no other test may use an id of the documentation for something else."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from asyncio.subprocess import DEVNULL, PIPE
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parent.parent.parent
MARKER = re.compile(r"^<!--\s*(not run|file):\s*(.*?)\s*-->$")
FENCE = re.compile(r"^```(\w*)\s*$")
RUNNABLE = {"bash", "sh"}
ANY = "…"
YAML = "Content-Type: application/yaml"


@dataclass
class Block:
    """One fenced block of a page: where it starts (its first line of code) and its marker."""

    path: Path
    line: int
    lang: str
    text: str
    skip: str | None = None
    file: str | None = None


@dataclass
class Command:
    """One shell command of a block, its lines in the page, and the answer it documents."""

    line: int
    end: int
    text: str
    status: int | None = None
    answer: Any = None
    shape_only: bool = False


@dataclass
class Page:
    """The blocks of one section of a page, as the harness will treat them."""

    blocks: list[Block] = field(default_factory=list)

    @property
    def skipped(self) -> list[Block]:
        return [b for b in self.blocks if b.skip is not None]


def guide() -> list[Path]:
    """The README, then every page its Documentation table links, in the table's order: the
    order a person learns Wayline in, and the order the examples run in (a page may use what
    an earlier one made)."""
    lines = (ROOT / "README.md").read_text().splitlines()
    table = section_lines(lines, "## Documentation")
    pages = [m for line in table for m in re.findall(r"\]\((docs/[\w-]+\.md)\)", line)[:1]]
    return [ROOT / "README.md", *(ROOT / p for p in pages)]


def book() -> Page:
    """Every example of the guide's pages, in order, as one page."""
    return Page([b for path in guide() for b in section(path).blocks])


def section_lines(lines: list[str], heading: str) -> list[str]:
    """The lines under `heading` up to the next heading of its level."""
    start = lines.index(heading)
    level = heading.split(" ")[0] + " "
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(level)), None)
    return lines[start : end or len(lines)]


def section(path: Path, heading: str | None = None) -> Page:
    """The blocks under `heading` (a whole `## ` line) up to the next heading of its level,
    or of the whole page when no heading is given."""
    lines = path.read_text().splitlines()
    start, end = 0, len(lines)
    if heading is not None:
        start = lines.index(heading)
        level = heading.split(" ")[0] + " "
        end = next((i for i in range(start + 1, end) if lines[i].startswith(level)), end)
    return Page(list(_blocks(path, lines, start, end)))


def _blocks(path: Path, lines: list[str], start: int, end: int) -> Any:
    i, marker = start, None
    while i < end:
        fence = FENCE.match(lines[i])
        found = MARKER.match(lines[i].strip())
        if found:
            marker = found.groups()
        elif fence:
            close = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            block = Block(path, i + 2, fence.group(1), "\n".join(lines[i + 1 : close]) + "\n")
            if marker is not None:
                kind, value = marker
                block.skip, block.file = (value, None) if kind == "not run" else (None, value)
            yield block
            i, marker = close, None
        elif lines[i].strip():
            marker = None
        i += 1


def commands(block: Block) -> list[Command]:
    """The block's commands, each with the answer its comments document."""
    found: list[Command] = []
    pending: list[str] = []
    quote: str | None = None
    comment_of: dict[int, str] = {}
    for n, raw in enumerate(block.text.splitlines(), start=block.line):
        if quote is None and not pending and raw.lstrip().startswith("#"):
            if found and _continues(raw.lstrip()[1:], n, found[-1], comment_of):
                comment_of[n] = raw.lstrip()[1:].strip()
                _document(found[-1], comment_of, n)
            continue
        if not pending and not raw.strip():
            continue
        pending.append(raw)
        quote, comment = _scan(raw, quote)
        if quote is None and not raw.rstrip().endswith("\\"):
            first = n - len(pending) + 1
            found.append(Command(first, n, "\n".join(pending)))
            if comment:
                comment_of[n] = comment
                _document(found[-1], comment_of, n)
            pending = []
    return found


def _continues(comment: str, n: int, last: Command, comment_of: dict[int, str]) -> bool:
    """Whether a comment line documents the answer of the command just before it: it starts
    with a status, `{` or `e.g.` right after it, or is indented under such a line."""
    if n - 1 in comment_of and comment.startswith("  "):
        return True
    return last.end == n - 1 and re.match(r"\s*(\d{3}\b|\{|e\.g\.)", comment) is not None


def _scan(line: str, quote: str | None) -> tuple[str | None, str]:
    """The quote still open at the end of `line` and the line's comment, if any."""
    i = 0
    while i < len(line):
        c = line[i]
        if quote is None and c == "#" and (i == 0 or line[i - 1].isspace()):
            return None, line[i + 1 :].strip()
        if c == "\\" and quote != "'":
            i += 2
            continue
        if quote is None and c in "'\"":
            quote = c
        elif c == quote:
            quote = None
        i += 1
    return quote, ""


def _document(cmd: Command, comment_of: dict[int, str], last: int) -> None:
    """Reads the command's comment lines up to `last` as its documented answer."""
    text = " ".join(comment_of[n] for n in range(cmd.end, last + 1) if n in comment_of)
    status = re.match(r"^(\d{3})\b", text)
    cmd.status = int(status.group(1)) if status else None
    cmd.shape_only = bool(re.search(r"\be\.g\.", text))
    cmd.answer = _answer(text[text.index("{") :]) if "{" in text else None


def _answer(text: str) -> Any:
    """The JSON a comment shows, `...` made into nothing (in a list or object) or ANY."""
    text = re.sub(r",\s*\.\.\.(?=\s*[\]}])", "", text)
    text = re.sub(r"([\[{])\s*\.\.\.\s*(?=[\]}])", r"\1", text)
    text = re.sub(r":\s*\.\.\.", f': "{ANY}"', text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def matches(want: Any, got: Any, shape_only: bool = False) -> bool:
    """Whether `got` has what `want` shows: its keys (and values unless `shape_only`), its
    list items in order among others, `…` in a string standing for any characters."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            k in got and matches(v, got[k], shape_only) for k, v in want.items()
        )
    if shape_only or want == ANY:
        return True
    if isinstance(want, list):
        rest = iter(got) if isinstance(got, list) else iter(())
        return all(any(matches(w, g) for g in rest) for w in want)
    if isinstance(want, str) and ANY in want:
        pattern = ".*".join(re.escape(part) for part in want.split(ANY))
        return isinstance(got, str) and re.fullmatch(pattern, got, re.DOTALL) is not None
    return bool(want == got)


PREAMBLE = r"""set -E -o pipefail
trap 'echo "$LINENO $BASH_COMMAND" > "$DOCS_DIR/error"; exit 97' ERR
curl() {
  local args=() a n out
  for a in "$@"; do args+=("${a//localhost:8000/$DOCS_API}"); done
  n=$(wc -l < "$DOCS_DIR/answers")
  out=$(command curl -sS --max-time 60 -o "$DOCS_DIR/body.$n" -w '%{http_code}' \
    "${args[@]}") || true
  printf '%s %s\n' "${BASH_LINENO[0]}" "${out:-000}" >> "$DOCS_DIR/answers"
  cat "$DOCS_DIR/body.$n" 2>/dev/null || true
}
H="Authorization: Bearer $KEY"; J='Content-Type: application/json'
"""


@dataclass
class Answer:
    command: Command
    block: Block
    status: int
    body: Any


async def run(
    page: Page, api_url: str, key: str, workdir: Path, env: dict[str, str] | None = None
) -> list[Answer]:
    """Runs the page's blocks as written (`env` adds variables, such as `DATABASE_URL` for
    the CLI); every failure names the page, line and command."""
    (workdir / "examples").symlink_to(ROOT / "examples")
    (workdir / "answers").write_text("")
    script, where = [*PREAMBLE.splitlines()], {}
    env = {**os.environ, **(env or {}), "KEY": key, "DOCS_API": api_url, "DOCS_DIR": str(workdir)}
    env |= {"WAYLINE_API_URL": api_url, "WAYLINE_API_KEY": key}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    for block in page.blocks:
        if block.file:
            (workdir / block.file).write_text(block.text)
        elif block.skip is None and block.lang == "python":
            await _python(block, api_url, env, workdir)
        elif block.skip is None and block.lang in RUNNABLE | {"yaml"}:
            for cmd in commands(block) if block.lang != "yaml" else _journey(block, workdir):
                for n in range(cmd.line, cmd.end + 1):
                    where[len(script) + 1 + n - cmd.line] = (block, cmd)
                script.extend(cmd.text.splitlines())
    done = await _process(["bash", "-c", "\n".join(script)], workdir, env)
    answers = _answers(workdir, where)
    _check_ran(done, workdir, where, answers)
    return answers


def _journey(block: Block, workdir: Path) -> list[Command]:
    """A whole journey definition shown in YAML is saved as a draft as written (the API
    validates it); a snippet (a few nodes, one key) is not a journey and is left alone."""
    shown = yaml.safe_load(block.text)
    if not (isinstance(shown, dict) and {"id", "nodes"} <= shown.keys()):
        return []
    name = f"journey-{block.line}.yaml"
    (workdir / name).write_text(block.text)
    put = f'curl -sX PUT localhost:8000/v1/journeys/{shown["id"]} -H "$H"'
    return [Command(block.line, block.line, f"{put} -H '{YAML}' --data-binary @{name}")]


async def _process(argv: list[str], cwd: Path, env: dict[str, str]) -> Done:
    """Runs `argv` without blocking the loop that serves the API it calls."""
    proc = await asyncio.create_subprocess_exec(
        *argv, cwd=cwd, env=env, stdout=PIPE, stderr=PIPE, stdin=DEVNULL
    )
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    return Done(proc.returncode or 0, out.decode(), err.decode())


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


async def _python(block: Block, api_url: str, env: dict[str, str], workdir: Path) -> None:
    code = f"KEY = {env['KEY']!r}\n" + block.text.replace("http://localhost:8000", api_url)
    done = await _process([sys.executable, "-c", code], workdir, env)
    assert done.returncode == 0, f"{_at(block, block.line)} python block failed:\n{done.stderr}"


def _at(block: Block, line: int) -> str:
    return f"{block.path.relative_to(ROOT)}:{line}:"


def _answers(workdir: Path, where: dict[int, tuple[Block, Command]]) -> list[Answer]:
    found = []
    for n, row in enumerate((workdir / "answers").read_text().splitlines()):
        line, status = row.split()
        block, cmd = where[int(line)]
        raw = (workdir / f"body.{n}").read_text() if (workdir / f"body.{n}").exists() else ""
        try:
            body = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            body = raw
        found.append(Answer(cmd, block, int(status), body))
        _check(found[-1])
    return found


def _check(a: Answer) -> None:
    at = f"{_at(a.block, a.command.line)} {a.command.text}\n-> {a.status} {str(a.body)[:1500]}"
    if a.command.status is not None:
        assert a.status == a.command.status, f"{at}\nthe comment says {a.command.status}"
    else:
        assert 200 <= a.status < 300, f"{at}\nfailed as written"
    if a.command.answer is not None:
        assert matches(a.command.answer, a.body, a.command.shape_only), (
            f"{at}\nthe comment says {a.command.answer}"
        )


def _check_ran(
    done: Done,
    workdir: Path,
    where: dict[int, tuple[Block, Command]],
    answers: list[Answer],
) -> None:
    if done.returncode == 0:
        return
    error = workdir / "error"
    if error.exists():
        line, command = error.read_text().split(" ", 1)
        block, cmd = where.get(int(line), (None, None))
        at = _at(block, cmd.line) if block and cmd else f"script line {line}:"
        raise AssertionError(f"{at} {command.strip()} failed:\n{done.stderr}")
    raise AssertionError(f"the examples stopped ({done.returncode}):\n{done.stderr}")
