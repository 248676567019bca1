"""Alembic migrations of the ticket database (run by assistant.tickets.db.init_db)."""
