"""Alembic environment, run from code only (``migrate``): the connection comes in through
``config.attributes``; batch mode lets the same revisions work on SQLite's limited ALTER."""

from __future__ import annotations

from alembic import context

from backstride.adapters.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
