"""Where `wayline dev` points the email channel: its catcher, unless an SMTP host is set."""

from __future__ import annotations

from pathlib import Path

from cli.devstack import mail_catcher_env


def test_email_goes_to_the_catcher_by_default() -> None:
    assert mail_catcher_env({}, Path("/d"), 2525) == {
        "WAYLINE_DEV_MAIL_DIR": "/d/mail",
        "WAYLINE_DEV_MAIL_PORT": "2525",
        "WAYLINE_SMTP_HOST": "127.0.0.1",
        "WAYLINE_SMTP_PORT": "2525",
    }


def test_an_smtp_host_of_ones_own_is_kept() -> None:
    assert mail_catcher_env({"WAYLINE_SMTP_HOST": "mail.example"}, Path("/d"), 1025) == {
        "WAYLINE_DEV_MAIL_DIR": "/d/mail",
        "WAYLINE_DEV_MAIL_PORT": "1025",
    }
