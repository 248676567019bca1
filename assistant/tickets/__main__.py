"""Command line for the ticket database, so deployments need neither alembic.ini nor a Python shell.

    python -m assistant.tickets migrate
    python -m assistant.tickets create-advisor yamada --display-name "山田 太郎" --windows inpit-tokyo,jpo
    python -m assistant.tickets set-password yamada
    python -m assistant.tickets list-advisors
    python -m assistant.tickets purge [--days N] [--dry-run]          # retention: run daily from cron/systemd
    python -m assistant.tickets revision -m "add column" --autogenerate   # for developers

The database is ``CHIZAI_DATABASE_URL`` (default: SQLite under ``CHIZAI_DATA_DIR``) unless ``--url`` is given.
Passwords are read with getpass (twice), or from ``CHIZAI_ADVISOR_PASSWORD`` for scripts; never as arguments,
which would end up in shell history and ``ps`` output.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from sqlalchemy.engine import make_url

PASSWORD_ENV = "CHIZAI_ADVISOR_PASSWORD"


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return args.url
    from chizai.settings import get_settings

    return get_settings().resolved_database_url


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _read_password() -> str:
    from assistant.tickets.auth import check_password_policy

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = getpass.getpass("パスワード: ")
        if getpass.getpass("パスワード（確認）: ") != password:
            raise SystemExit("パスワードが一致しません。")
    check_password_policy(password)
    return password


def _auth(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from assistant.tickets.auth import AdvisorAuth
    from assistant.tickets.store import TicketStore

    return AdvisorAuth(TicketStore(_url(args), migrate=True))


def cmd_migrate(args: argparse.Namespace) -> int:
    from assistant.tickets.db import init_db

    url = _url(args)
    print(f"{_safe_url(url)}: {init_db(url)}")
    return 0


def cmd_create_advisor(args: argparse.Namespace) -> int:
    password = _read_password()
    windows = [w.strip() for w in (args.windows or "").split(",") if w.strip()]
    advisor = _auth(args).create_advisor(
        args.username, password, display_name=args.display_name or "", windows=windows, actor="cli"
    )
    scope = ", ".join(advisor.windows) or "すべての窓口"
    print(f"作成しました: {advisor.username}（{advisor.display_name}）担当: {scope}")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    password = _read_password()
    _auth(args).set_password(args.username, password, actor="cli")
    print(f"パスワードを変更しました: {args.username}")
    return 0


def cmd_list_advisors(args: argparse.Namespace) -> int:
    from assistant.tickets.models import utcnow

    advisors = _auth(args).list_advisors()
    if not advisors:
        print("相談員はまだ登録されていません。")
    now = utcnow()
    for a in advisors:
        locked = a.locked_until is not None and a.locked_until > now
        lock = f"  ロック中（{a.locked_until:%Y-%m-%d %H:%M} UTCまで）" if locked else ""
        print(f"{a.username}\t{a.display_name}\t{','.join(a.windows) or '(all)'}{lock}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete closed tickets and old feedback after the retention period (``--days`` or CHIZAI_RETENTION_DAYS)."""
    from assistant.tickets.models import JST
    from assistant.tickets.store import TicketStore

    days = args.days
    if days is None:
        from chizai.settings import get_settings

        days = get_settings().retention_days
    if not days:
        print("保持期間が設定されていないため、何も削除しません（CHIZAI_RETENTION_DAYS または --days で指定）。")
        return 0
    report = TicketStore(_url(args)).purge(days, actor=args.actor, dry_run=args.dry_run)
    cutoff = report.cutoff.astimezone(JST).strftime("%Y-%m-%d %H:%M")
    verb = "削除対象（ドライラン、削除していません）" if report.dry_run else "削除しました"
    print(f"{verb}: 完了・転送の相談票 {len(report.public_nos)} 件、評価 {report.feedback} 件（{cutoff} 日本時間より前）")
    if report.dry_run and report.public_nos:
        more = f" ほか {len(report.public_nos) - 20} 件" if len(report.public_nos) > 20 else ""
        print("  " + ", ".join(report.public_nos[:20]) + more)
    return 0


def _positive_days(value: str) -> int:
    days = int(value)
    if days < 1:
        raise argparse.ArgumentTypeError("--days must be 1 or more (leave retention unset to keep forever)")
    return days


def cmd_revision(args: argparse.Namespace) -> int:
    from alembic import command

    from assistant.tickets.db import alembic_config

    cfg = alembic_config(_url(args))
    command.revision(cfg, message=args.message, autogenerate=args.autogenerate)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.tickets", description="知財フロント 相談票データベース"
    )
    parser.add_argument(
        "--url", help="SQLAlchemy URL (default: CHIZAI_DATABASE_URL or SQLite under data dir)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(fn=cmd_migrate)

    p = sub.add_parser("create-advisor", help="add an advisor account")
    p.add_argument("username")
    p.add_argument("--display-name", default="")
    p.add_argument("--windows", default="", help="comma-separated window ids; empty = all windows")
    p.set_defaults(fn=cmd_create_advisor)

    p = sub.add_parser("set-password", help="change an advisor's password and lift a lock")
    p.add_argument("username")
    p.set_defaults(fn=cmd_set_password)

    sub.add_parser("list-advisors", help="show advisor accounts").set_defaults(fn=cmd_list_advisors)

    p = sub.add_parser("purge", help="delete closed tickets and feedback older than the retention period")
    p.add_argument("--days", type=_positive_days, help="retention in days (default: CHIZAI_RETENTION_DAYS)")
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.add_argument("--actor", default="retention", help="name recorded in the audit trail")
    p.set_defaults(fn=cmd_purge)

    p = sub.add_parser("revision", help="(developers) write a new migration")
    p.add_argument("-m", "--message", required=True)
    p.add_argument("--autogenerate", action="store_true")
    p.set_defaults(fn=cmd_revision)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.tickets.auth import AuthError

    args = build_parser().parse_args(argv)
    from chizai import logsafe
    from chizai.settings import get_settings

    logsafe.configure(get_settings().debug_log_text)
    try:
        return int(args.fn(args))
    except AuthError as error:
        print(f"エラー: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
