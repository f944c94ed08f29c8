"""First history tables: runners, triage records, self-test records, clearances, plans.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_utc", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runners"),
        sa.UniqueConstraint("name", name="uq_runners_name"),
    )
    tables: dict[str, list[sa.Column[object]]] = {
        "triage_records": [
            sa.Column("level", sa.String(20), nullable=False),
            sa.Column("answers", sa.JSON(), nullable=False),
            sa.Column("result", sa.JSON(), nullable=False),
        ],
        "selftest_records": [
            sa.Column("results", sa.JSON(), nullable=False),
            sa.Column("result", sa.JSON(), nullable=False),
        ],
        "clearances": [
            sa.Column("cleared_on", sa.Date(), nullable=False),
            sa.Column("cleared_by", sa.String(200), nullable=False),
            sa.Column("note", sa.Text(), nullable=True),
        ],
        "plans": [sa.Column("plan", sa.JSON(), nullable=False)],
    }
    for name, columns in tables.items():
        op.create_table(
            name,
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("runner_id", sa.Integer(), nullable=False),
            sa.Column("created_utc", sa.DateTime(timezone=True), nullable=False),
            *columns,
            sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
            sa.ForeignKeyConstraint(["runner_id"], ["runners.id"],
                                    name=f"fk_{name}_runner_id_runners"),
        )
        op.create_index(f"ix_{name}_runner_id", name, ["runner_id"])


def downgrade() -> None:
    for name in ("plans", "clearances", "selftest_records", "triage_records"):
        op.drop_index(f"ix_{name}_runner_id", table_name=name)
        op.drop_table(name)
    op.drop_table("runners")
