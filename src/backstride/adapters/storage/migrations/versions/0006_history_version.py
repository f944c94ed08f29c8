"""The history version: one counter the database itself bumps on every insert, update and
delete of the history (triggers), in the same transaction as the write, whoever writes it:
this process, another process, another web worker, a hand-made SQL statement. The web app
caches whole pages by it (web/pages.py), so a change anywhere shows at once.

Sessions and jobs are left out: they change with every request and every job's progress and
no cached page shows them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Every table a page can show (not web_sessions, jobs, alembic_version).
TRACKED = ("runners", "triage_records", "selftest_records", "clearances", "plans", "activities",
           "sources", "series", "analyses", "shoes", "pain_entries", "users", "user_runners",
           "videos")
_BUMP = "UPDATE history_version SET version = version + 1 WHERE id = 1"
_PG_FUNCTION = "backstride_bump_history_version"


def upgrade() -> None:
    op.create_table(
        "history_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_history_version_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_history_version"))
    op.execute("INSERT INTO history_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite has row triggers only: one per table and kind of change.
        for table in TRACKED:
            for change in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f'CREATE TRIGGER "bump_history_{change.lower()}_{table}" AFTER '
                           f'{change} ON "{table}" BEGIN {_BUMP}; END')
    else:
        # PostgreSQL: once per statement (an import's many rows bump it once each statement).
        op.execute(f"CREATE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {_BUMP}; RETURN NULL; END $$")
        for table in TRACKED:
            op.execute(f'CREATE TRIGGER "bump_history_{table}" AFTER INSERT OR UPDATE OR DELETE '
                       f'OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE PROCEDURE '
                       f"{_PG_FUNCTION}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TRACKED:
            for change in ("insert", "update", "delete"):
                op.execute(f'DROP TRIGGER IF EXISTS "bump_history_{change}_{table}"')
    else:
        for table in TRACKED:
            op.execute(f'DROP TRIGGER IF EXISTS "bump_history_{table}" ON "{table}"')
        op.execute(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()")
    op.drop_table("history_version")
