"""An account's place in a shared PostgreSQL database: its own role, owning its own schema.

The account's engine logs in as that role with the schema first on its search path, so its
tables are created in (and owned by) the schema, and no other account's role can read them:
PostgreSQL refuses USAGE on another role's schema. SQLite accounts have a file each and need
nothing here.
"""

from __future__ import annotations

from psycopg import sql
from sqlalchemy import Engine, text


def provision_account(admin: Engine, role: str, password: str | None) -> None:
    """Create the account's role and schema if missing (idempotent, safe to race)."""
    if admin.dialect.name != "postgresql":
        return
    with admin.begin() as conn:
        # Roles are cluster-wide: two workers preparing the same account wait for each other.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "role:" + role})
        exists = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        raw = conn.connection.driver_connection
        if exists is None:
            create = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
                sql.Identifier(role)
            )
            conn.exec_driver_sql(create.as_string(raw))
        if password:
            alter = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
            conn.exec_driver_sql(alter.as_string(raw))
        schema = sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
            sql.Identifier(role), sql.Identifier(role)
        )
        conn.exec_driver_sql(schema.as_string(raw))
        # Nobody but the owner may look inside (PUBLIC has no rights on a new schema; say so).
        revoke = sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(role))
        conn.exec_driver_sql(revoke.as_string(raw))
        # No account may create in the shared public schema either, where a table it made could
        # be granted to another account: PostgreSQL 15 and later start so, older servers do not.
        public = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).first()
        if public is not None:
            conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
