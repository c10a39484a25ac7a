"""The SQL store: SQLAlchemy Core tables, repositories, unit of work and migrations."""
