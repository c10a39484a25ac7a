"""What planner takes from the environment: secrets named in the file, and overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import SecretStr

from planner.config.fields import database_password
from planner.config.models import LOG_LEVELS, Config, Connection
from planner.domain.errors import ConfigError

LOG_LEVEL_VARIABLE = "PLANNER_LOG_LEVEL"
# The log redactor replaces every secret's value wherever it occurs: a secret of one or two
# characters would star out that text in every line, and is no secret anyway.
MIN_SECRET_LENGTH = 8


def malloc_arenas_limited(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the user limited glibc's malloc arenas themselves (MALLOC_ARENA_MAX, or
    glibc.malloc.arena_max in GLIBC_TUNABLES): forecasting then leaves them as set
    (``planner.forecast.parallel.leave_arenas``)."""
    environ = os.environ if environ is None else environ
    return "MALLOC_ARENA_MAX" in environ or "arena_max" in environ.get("GLIBC_TUNABLES", "")


def override_log_level(config: Config, environ: Mapping[str, str]) -> Config:
    """Apply PLANNER_LOG_LEVEL over [logging] level."""
    value = environ.get(LOG_LEVEL_VARIABLE, "").strip()
    if not value:
        return config
    level = value.upper()
    if level not in LOG_LEVELS:
        allowed = ", ".join(repr(name) for name in LOG_LEVELS)
        raise ConfigError(
            f"{LOG_LEVEL_VARIABLE}: expected one of {allowed}, got {value!r}",
            hint=f"fix or unset {LOG_LEVEL_VARIABLE}; it overrides logging.level",
        )
    logging = config.logging.model_copy(update={"level": level})
    return config.model_copy(update={"logging": logging})


class _Lookup:
    """Reads secrets from the environment, noting each required one that is missing."""

    def __init__(self, config: Config, environ: Mapping[str, str]) -> None:
        self.source = config.source
        self.environ = environ
        self.missing: list[str] = []

    def get(
        self, table: str, dotted: str, variable: str, *, needed_by: str | None
    ) -> SecretStr | None:
        """The secret in `variable`; `dotted` is the key that names the variable."""
        value = self.environ.get(variable, "")
        if value and len(value) < MIN_SECRET_LENGTH:
            key = dotted.rsplit(".", 1)[-1]
            self.missing.append(
                f"{self.source}: {table} {key} names {variable}, which holds only {len(value)}"
                f" character(s); a secret needs at least {MIN_SECRET_LENGTH}"
                f" (export the real secret as {variable}=…)"
            )
            return None
        if value:
            return SecretStr(value)
        if needed_by is not None:
            key = dotted.rsplit(".", 1)[-1]
            self.missing.append(
                f"{self.source}: {table} {key} names {variable}, which is not set;"
                f" {needed_by} needs it (export {variable}=… or change {dotted})"
            )
        return None


# Which Slack secrets each mode needs.
_SLACK_NEEDS = {
    "console": (),
    "http": ("bot_token", "signing_secret"),
    "socket": ("bot_token", "app_token"),
}


def resolve_secrets(config: Config, environ: Mapping[str, str]) -> Config:
    """Fill every secret from the variable the file names; fail if a required one is unset."""
    lookup = _Lookup(config, environ)
    amazon, slack = config.amazon, config.slack
    sp_api = "amazon.mode = 'sp-api'" if amazon.mode == "sp-api" else None
    amazon_secrets = {
        key: lookup.get("[amazon]", f"amazon.{key}_env", variable, needed_by=sp_api)
        for key, variable in (
            ("client_id", amazon.client_id_env),
            ("client_secret", amazon.client_secret_env),
        )
    }
    connections = tuple(
        _with_refresh_token(c, lookup, needed_by=sp_api) for c in amazon.connections
    )
    slack_mode = f"slack.mode = '{slack.mode}'"
    slack_secrets = {
        key: lookup.get(
            "[slack]",
            f"slack.{key}_env",
            variable,
            needed_by=slack_mode if key in _SLACK_NEEDS[slack.mode] else None,
        )
        for key, variable in (
            ("bot_token", slack.bot_token_env),
            ("signing_secret", slack.signing_secret_env),
            ("app_token", slack.app_token_env),
        )
    }
    password = database_password(config.database.url) or ""
    if 0 < len(password) < MIN_SECRET_LENGTH:
        lookup.missing.append(
            f"{config.source}: database.url: the password in the URL has only {len(password)}"
            f" character(s); a secret needs at least {MIN_SECRET_LENGTH} (set a longer one)"
        )
    if lookup.missing:
        footer = "(secrets come from the environment variables the file names, never the file)"
        raise ConfigError("\n".join([*lookup.missing, footer]))
    amazon = amazon.model_copy(update={**amazon_secrets, "connections": connections})
    slack = slack.model_copy(update=slack_secrets)
    return config.model_copy(update={"amazon": amazon, "slack": slack})


def _with_refresh_token(
    connection: Connection, lookup: _Lookup, *, needed_by: str | None
) -> Connection:
    token = lookup.get(
        f"[[amazon.connections]] {connection.name!r}",
        f"amazon.connections[{connection.name}].refresh_token_env",
        connection.refresh_token_env,
        needed_by=needed_by,
    )
    return connection.model_copy(update={"refresh_token": token})
