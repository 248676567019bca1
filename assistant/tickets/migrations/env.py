"""Alembic environment for the ticket database.

Normally entered through :func:`assistant.tickets.db.init_db`, which hands over an open connection already
inside a locked transaction. It also works from the Alembic CLI or ``python -m assistant.tickets revision``:
the URL then comes from ``CHIZAI_DATABASE_URL`` via the one settings object.
"""

from __future__ import annotations

from alembic import context

from assistant.tickets.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("chizai_url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from chizai.settings import get_settings

    return get_settings().resolved_database_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from assistant.tickets.db import get_database

    db = get_database(_url())
    with db.writer.connect() as conn, conn.begin():
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
