"""``python -m assistant.tickets``: migrate, create-advisor (password from env or getpass), list-advisors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.tickets.__main__ import main
from assistant.tickets.db import current_revision, dispose_all, head_revision


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'cli' / 'app.sqlite3'}"
    dispose_all()


def test_migrate_as_a_module_without_alembic_ini(url: str, tmp_path: Path) -> None:
    env = {**os.environ, "CHIZAI_DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-m", "assistant.tickets", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert head_revision() in out.stdout
    assert current_revision(url) == head_revision()


def test_migrate_uses_settings_data_dir_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIZAI_DATABASE_URL", raising=False)
    monkeypatch.setenv("CHIZAI_DATA_DIR", str(tmp_path / "data"))
    env = {k: v for k, v in os.environ.items()}
    subprocess.run(  # cwd=tmp_path: a developer's .env in the repo must not redirect this test
        [sys.executable, "-m", "assistant.tickets", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert (tmp_path / "data" / "app.sqlite3").exists()


def test_create_and_list_advisors(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHIZAI_ADVISOR_PASSWORD", "a-long-enough-secret")
    assert (
        main(
            [
                "--url",
                url,
                "create-advisor",
                "yamada",
                "--display-name",
                "山田 太郎",
                "--windows",
                "inpit-tokyo, jpo",
            ]
        )
        == 0
    )
    assert "山田 太郎" in capsys.readouterr().out
    assert main(["--url", url, "create-advisor", "yamada"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["--url", url, "list-advisors"]) == 0
    out = capsys.readouterr().out
    assert "yamada\t山田 太郎\tinpit-tokyo,jpo" in out
    assert "a-long-enough-secret" not in out

    from assistant.tickets import AdvisorAuth, TicketStore

    auth = AdvisorAuth(TicketStore(url), rounds=4)
    assert auth.verify_login("yamada", "a-long-enough-secret").ok


def test_short_password_is_refused(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHIZAI_ADVISOR_PASSWORD", "short")
    assert main(["--url", url, "create-advisor", "yamada"]) == 1
    assert "10文字以上" in capsys.readouterr().err
    assert main(["--url", url, "list-advisors"]) == 0
    assert "まだ登録されていません" in capsys.readouterr().out


def test_password_from_getpass_must_match(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHIZAI_ADVISOR_PASSWORD", raising=False)
    answers = iter(["first-password-123", "other-password-123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(SystemExit, match="一致しません"):
        main(["--url", url, "create-advisor", "yamada"])
    answers = iter(["same-password-123", "same-password-123"])
    assert main(["--url", url, "create-advisor", "yamada"]) == 0
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "new-password-4567")
    assert main(["--url", url, "set-password", "yamada"]) == 0
