"""`wayline validate`: every problem with its path, and the exit code scripts rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "abandoned-cart.yaml"


def test_validate_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_reports_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = (
        EXAMPLE.read_text()
        .replace("next: wait_day", "next: nowhere")
        .replace("duration: P1D", "duration: P90D")
        .replace("channel: log, template: coupon-sms", "channel: pigeon, template: coupon-sms")
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nodes.remind.next" in err
    assert "nodes.sms_coupon.channel" in err
    assert "nodes.wait_day.duration" in err
    assert "nodes.wait_day: unreachable from start" in err


def test_validate_reports_syntax_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nnodes: [unclosed\n")
    assert main(["validate", str(path)]) == 1
    assert "bad.yaml" in capsys.readouterr().err
