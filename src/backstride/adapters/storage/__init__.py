"""History: SQLAlchemy Core tables, Alembic migrations run from code, and the Store."""
