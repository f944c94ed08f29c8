"""Team mode: users (a runner user *is* a runner row), which runners a coach or clinician sees,
and web sessions (only a SHA-256 of each session token is kept).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("runner_id", sa.Integer(), nullable=True),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.CheckConstraint("role IN ('runner', 'coach', 'clinician')", name="ck_users_role"),
        sa.ForeignKeyConstraint(["runner_id"], ["runners.id"],
                                name="fk_users_runner_id_runners"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"))
    op.create_table(
        "user_runners",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("runner_id", sa.Integer(), nullable=False),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_runners_user_id_users"),
        sa.ForeignKeyConstraint(["runner_id"], ["runners.id"],
                                name="fk_user_runners_runner_id_runners"),
        sa.PrimaryKeyConstraint("user_id", "runner_id", name="pk_user_runners"))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("runner_id", sa.Integer(), nullable=True),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.Column("expires_utc", _TZ, nullable=False),
        sa.Column("last_seen_utc", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_web_sessions_user_id_users"),
        sa.ForeignKeyConstraint(["runner_id"], ["runners.id"],
                                name="fk_web_sessions_runner_id_runners"),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.UniqueConstraint("token_sha256", name="uq_web_sessions_token_sha256"))
    op.create_index("ix_users_runner_id", "users", ["runner_id"])
    op.create_index("ix_user_runners_runner_id", "user_runners", ["runner_id"])
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])


def downgrade() -> None:
    for table in ("web_sessions", "user_runners", "users"):
        op.drop_table(table)
