"""The web app's background jobs (queued, running, done, failed, lost), so that after a
restart a job the server was running when it stopped says so on its page, and its upload is
removed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("label", sa.String(600), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("result_url", sa.String(300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("upload_dir", sa.String(1000), nullable=True),
        sa.Column("server", sa.String(300), nullable=False),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.Column("updated_utc", _TZ, nullable=False),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'lost')",
                           name="ck_jobs_state"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"))


def downgrade() -> None:
    op.drop_table("jobs")
