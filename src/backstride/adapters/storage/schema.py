"""Every table of the history database. Only here; migrations must produce exactly these
(tests/adapters/storage/test_store.py compares them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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

activities = Table(
    "activities", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    # Fingerprint (DESIGN.md §5): the first session's start to the second, plus the device
    # serial where the file carries one; a copy in another format is a duplicate.
    Column("start_utc", DateTime(timezone=True), nullable=True, index=True),
    Column("device_serial", String(40), nullable=True),
    Column("device", String(200), nullable=True),
    Column("format", String(16), nullable=False),  # of the analysed source
    Column("sport", String(32), nullable=False),
    Column("surface", String(16), nullable=True),  # road, trail, track, treadmill, grass
    Column("surface_source", String(8), nullable=True),  # "file" (sub_sport) or "user"
    Column("distance_m", Float, nullable=True),
    Column("duration_s", Float, nullable=False),
    Column("moving_time_s", Float, nullable=False),
    Column("shoe_id", Integer, ForeignKey("shoes.id"), nullable=True, index=True),
)

sources = Table(
    "sources", metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activities.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False, unique=True),  # of the decompressed bytes
    Column("format", String(16), nullable=False),
    Column("name", String(500), nullable=False),
    Column("role", String(12), nullable=False),  # "analysed" or "duplicate"
    Column("imported_utc", DateTime(timezone=True), nullable=False),
)

series = Table(
    "series", metadata,
    Column("activity_id", Integer, ForeignKey("activities.id"), primary_key=True),
    Column("n_records", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # compressed .npz of the SI series and t_s
)

analyses = Table(
    "analyses", metadata,
    Column("id", Integer, primary_key=True),
    Column("activity_id", Integer, ForeignKey("activities.id"), nullable=False, index=True),
    Column("analyser_version", String(20), nullable=False),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("analysis", JSON, nullable=False),  # backstride.analysis/1
)

shoes = Table(
    "shoes", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("start_distance_m", Float, nullable=False),  # already run before it was added
    Column("added_on", Date, nullable=False),
    Column("retired_on", Date, nullable=True),
    Column("default_from", Date, nullable=True),  # runs in this date range get this shoe
    Column("default_to", Date, nullable=True),
)

pain_entries = Table(
    "pain_entries", metadata,
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("activity_id", Integer, ForeignKey("activities.id"), nullable=True, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # during, after_run, next_morning, other
    Column("score", Integer, nullable=False),  # 0-10
    Column("location", String(100), nullable=True),
    Column("onset_min", Float, nullable=True),
    Column("onset_km", Float, nullable=True),
    Column("note", Text, nullable=True),
)

# --- team mode ---------------------------------------------------------------------------------

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),  # argon2id, never the password
    Column("role", String(16), nullable=False),  # runner, coach, clinician
    # The runner a runner user *is*; None for coaches and clinicians (they see user_runners).
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=True, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
    CheckConstraint("role IN ('runner', 'coach', 'clinician')", name="ck_users_role"),
)

user_runners = Table(
    "user_runners", metadata,  # which runners a coach or clinician may see
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), primary_key=True, index=True),
    Column("created_utc", DateTime(timezone=True), nullable=False),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("id", Integer, primary_key=True),
    # SHA-256 of the cookie's token: a copy of the database opens no session.
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=True),  # the one looked at
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("expires_utc", DateTime(timezone=True), nullable=False),  # absolute limit
    Column("last_seen_utc", DateTime(timezone=True), nullable=False),  # for the idle limit
)

videos = Table(
    "videos", metadata,  # analysed clips; the clip itself is never stored
    Column("id", Integer, primary_key=True),
    Column("runner_id", Integer, ForeignKey("runners.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),  # of the clip's bytes
    Column("name", String(500), nullable=False),
    Column("view", String(8), nullable=False),  # side or rear
    Column("duration_s", Float, nullable=False),
    Column("cadence_spm", Float, nullable=True),  # None when refused
    Column("pose_model", String(64), nullable=False),  # never mix models (DOMAIN.md §3.2)
    Column("keypoints", LargeBinary, nullable=False),  # adapters.pose.recorded .npz
    Column("analysis", JSON, nullable=False),  # backstride.analysis/1
    Column("analyser_version", String(20), nullable=False),
    Column("imported_utc", DateTime(timezone=True), nullable=False),
    UniqueConstraint("runner_id", "sha256"),
)

JOB_STATES = ("queued", "running", "done", "failed", "lost")

jobs = Table(
    "jobs", metadata,  # the web app's background jobs, so a restart can say what was lost
    Column("id", String(32), primary_key=True),  # uuid4 hex: the job page's URL
    Column("label", String(600), nullable=False),  # "Analysing run.fit"
    Column("owner", String(64), nullable=True),  # team mode: the username that started it
    Column("state", String(8), nullable=False),
    Column("result_url", String(300), nullable=True),
    Column("error", Text, nullable=True),
    Column("upload_dir", String(1000), nullable=True),  # removed when the job ends or is lost
    Column("server", String(300), nullable=False),  # "host:pid" of the process running it
    Column("created_utc", DateTime(timezone=True), nullable=False),
    Column("updated_utc", DateTime(timezone=True), nullable=False),
    CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'lost')",
                    name="ck_jobs_state"),
)

history_version = Table(
    "history_version", metadata,  # one row: bumped by triggers on every history write (0006)
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="ck_history_version_one_row"),
)
