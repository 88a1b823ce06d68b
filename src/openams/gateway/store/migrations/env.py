"""Alembic environment: migrations run on the engine the application hands in."""

from __future__ import annotations

from alembic import context

from openams.gateway.store.tables import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
