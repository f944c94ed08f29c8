"""Videos in history: each analysed clip's form analysis and its keypoints (the clip itself is
never stored; the keypoints let a later version re-analyse it without the pose model).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("runner_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("view", sa.String(8), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("cadence_spm", sa.Float(), nullable=True),
        sa.Column("pose_model", sa.String(64), nullable=False),
        sa.Column("keypoints", sa.LargeBinary(), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.Column("analyser_version", sa.String(20), nullable=False),
        sa.Column("imported_utc", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["runner_id"], ["runners.id"],
                                name="fk_videos_runner_id_runners"),
        sa.UniqueConstraint("runner_id", "sha256", name="uq_videos_runner_id"),
    )
    op.create_index("ix_videos_runner_id", "videos", ["runner_id"])


def downgrade() -> None:
    op.drop_index("ix_videos_runner_id", table_name="videos")
    op.drop_table("videos")
