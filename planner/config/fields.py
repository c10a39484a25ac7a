"""Value types of the configuration file: each one checks a single kind of value."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The error type the message translator recognises; `key` narrows a model-level problem to a key.
PROBLEM = "config_problem"


def problem(text: str, *, key: str | None = None) -> PydanticCustomError:
    """A validation problem whose text is shown to the user as is."""
    return PydanticCustomError(PROBLEM, "{text}", {"text": text, "key": key})


def context_cwd(info: ValidationInfo) -> Path:
    """The directory relative paths are resolved against (the loader passes it as context)."""
    context = info.context if isinstance(info.context, dict) else {}
    return Path(context.get("cwd") or Path.cwd())


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise problem("must not be empty")
    return value


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    path = value.expanduser()
    return path if path.is_absolute() else (context_cwd(info) / path).resolve()


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_name(value: str) -> str:
    # Never echo the value: people sometimes paste the secret itself where its variable name goes.
    if not _ENV_NAME.fullmatch(value):
        raise problem(
            "expected the NAME of an environment variable (letters, digits, _), not its value"
        )
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise problem(f"expected an http(s) URL such as 'http://localhost:8080', got {value!r}")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(
            f"unknown time zone {value!r} (use an IANA name such as 'UTC' or 'Europe/Berlin')"
        ) from None
    return value


def _crontab(value: str) -> str:
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise problem(
            f"not a cron expression ({exc}); expected 5 fields 'minute hour day month weekday'"
            f", e.g. '0 5 * * *', got {value!r}"
        ) from None
    return value


_SLACK_ID = re.compile(r"[UWS][A-Z0-9]{2,}")


def _slack_id(value: str) -> str:
    if not _SLACK_ID.fullmatch(value):
        raise problem(
            f"expected a Slack user id (U…/W…) or user-group id (S…), got {value!r}"
            " (in Slack: profile → ⋮ → Copy member ID)"
        )
    return value


def _database_url(value: str, info: ValidationInfo) -> str:
    # The message must not echo the URL: it may carry a password.
    try:
        url = make_url(value)
    except ArgumentError:
        raise problem(
            "not a database URL; expected e.g. 'sqlite:///planner-data/planner.db' or"
            " 'postgresql+psycopg://planner@localhost/planner'"
        ) from None
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        path = Path(database).expanduser()
        if not database.startswith("file:") and not path.is_absolute():
            url = url.set(database=str((context_cwd(info) / path).resolve()))
            return url.render_as_string(hide_password=False)
    return value


def hide_password(database_url: str) -> str:
    """The URL with any password replaced by ***, for display."""
    return make_url(database_url).render_as_string(hide_password=True)


def database_password(database_url: str) -> str | None:
    """The password inside a database URL, if any."""
    return make_url(database_url).password


NonNegative = Annotated[int, Field(strict=True, ge=0)]
Positive = Annotated[int, Field(strict=True, ge=1)]
Flag = Annotated[bool, Field(strict=True)]
Text = Annotated[str, BeforeValidator(_not_blank)]
Lowercase = BeforeValidator(_lower)
Uppercase = BeforeValidator(_upper)
ConfigPath = Annotated[Path, BeforeValidator(_not_blank), AfterValidator(_resolve_path)]
EnvName = Annotated[str, AfterValidator(_env_name)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Crontab = Annotated[str, AfterValidator(_crontab)]
SlackId = Annotated[str, AfterValidator(_slack_id)]
DatabaseUrl = Annotated[str, BeforeValidator(_not_blank), AfterValidator(_database_url)]
