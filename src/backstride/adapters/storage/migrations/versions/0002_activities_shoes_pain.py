"""Run history: activities, their sources, series and analyses; shoes; pain entries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _runner(table: str) -> list[Any]:
    return [sa.Column("runner_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["runner_id"], ["runners.id"],
                                    name=f"fk_{table}_runner_id_runners")]


def upgrade() -> None:
    op.create_table(
        "shoes", _id(), *_runner("shoes"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("start_distance_m", sa.Float(), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("default_from", sa.Date(), nullable=True),
        sa.Column("default_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_shoes"))
    op.create_table(
        "activities", _id(), *_runner("activities"),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.Column("start_utc", _TZ, nullable=True),
        sa.Column("device_serial", sa.String(40), nullable=True),
        sa.Column("device", sa.String(200), nullable=True),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("sport", sa.String(32), nullable=False),
        sa.Column("surface", sa.String(16), nullable=True),
        sa.Column("surface_source", sa.String(8), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("moving_time_s", sa.Float(), nullable=False),
        sa.Column("shoe_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["shoe_id"], ["shoes.id"], name="fk_activities_shoe_id_shoes"),
        sa.PrimaryKeyConstraint("id", name="pk_activities"))
    op.create_table(
        "sources", _id(),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("imported_utc", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"],
                                name="fk_sources_activity_id_activities"),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("sha256", name="uq_sources_sha256"))
    op.create_table(
        "series",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("n_records", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"],
                                name="fk_series_activity_id_activities"),
        sa.PrimaryKeyConstraint("activity_id", name="pk_series"))
    op.create_table(
        "analyses", _id(),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("analyser_version", sa.String(20), nullable=False),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"],
                                name="fk_analyses_activity_id_activities"),
        sa.PrimaryKeyConstraint("id", name="pk_analyses"))
    op.create_table(
        "pain_entries", _id(), *_runner("pain_entries"),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_utc", _TZ, nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(100), nullable=True),
        sa.Column("onset_min", sa.Float(), nullable=True),
        sa.Column("onset_km", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"],
                                name="fk_pain_entries_activity_id_activities"),
        sa.PrimaryKeyConstraint("id", name="pk_pain_entries"))
    for table, column in (("shoes", "runner_id"), ("activities", "runner_id"),
                          ("activities", "start_utc"), ("activities", "shoe_id"),
                          ("sources", "activity_id"), ("analyses", "activity_id"),
                          ("pain_entries", "runner_id"), ("pain_entries", "activity_id")):
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table in ("pain_entries", "analyses", "series", "sources", "activities", "shoes"):
        op.drop_table(table)
