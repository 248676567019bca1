"""Which catalog backend serves: the one place that turns ``CHIZAI_INDEX_URL`` into a catalog.

Unset, the catalog is the SQLite file under ``CHIZAI_DATA_DIR`` (one machine); set, it is PostgreSQL (several app
instances and ingest workers). There is no fallback from one to the other: an unreachable PostgreSQL is an error,
never a quiet switch to a local file that the other instances cannot see.
"""

from __future__ import annotations

from chizai.index.catalog import SqliteCatalog
from chizai.index.catalog_base import Catalog
from chizai.settings import IndexSettings


def open_catalog(settings: IndexSettings, *, readonly: bool = False) -> Catalog:
    """The configured catalog; ``readonly`` (the app) requires an existing index, writers (ingest) create it."""
    if settings.index_url:
        from chizai.index.pg_catalog import PostgresCatalog

        return PostgresCatalog(settings.index_url, readonly=readonly)
    return SqliteCatalog(settings.manifest_path, readonly=readonly)


def where(settings: IndexSettings) -> str:
    """Where the catalog lives, for messages (without a password)."""
    if settings.index_url:
        from sqlalchemy import make_url

        return make_url(settings.index_url).render_as_string(hide_password=True)
    return str(settings.manifest_path)
