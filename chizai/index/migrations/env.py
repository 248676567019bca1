"""Alembic environment for the PostgreSQL catalog.

Entered through :func:`chizai.index.pg_schema.migrate`, which hands over an open connection inside a transaction
that holds the catalog's migration lock. The revision lives in ``catalog_alembic_version``, apart from the ticket
desk's ``alembic_version`` in the same database.
"""

from __future__ import annotations

from alembic import context

from chizai.index.pg_schema import VERSION_TABLE, metadata, ours


def _include(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001 - Alembic's hook signature
    return type_ != "table" or ours(name)


connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run catalog migrations through chizai.index.pg_schema.migrate (python -m ingest --migrate)")
context.configure(
    connection=connection, target_metadata=metadata, version_table=VERSION_TABLE, include_object=_include
)
with context.begin_transaction():
    context.run_migrations()
