"""Every table of the history database. Only here; migrations must produce exactly these
(tests/adapters/storage/test_store.py compares them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

runners = Table(
    "runners", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
)

triage_records = Table(
    "triage_records", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("level", String(20), nullable=False),
    Column("answers", JSON, nullable=False),  # backstride.answers/1, as given ("unsure" kept)
    Column("result", JSON, nullable=False),  # backstride.triage/1
)

selftest_records = Table(
    "selftest_records", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("results", JSON, nullable=False),  # backstride.selftests/1
    Column("result", JSON, nullable=False),  # backstride.selftest_result/1
)

clearances = Table(
    "clearances", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("cleared_on", Date, nullable=False),
    Column("cleared_by", String(200), nullable=False),
    Column("note", Text, nullable=True),
)

plans = Table(
    "plans", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("plan", JSON, nullable=False),  # backstride.plan/1
)
