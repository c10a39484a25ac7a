"""load_config: read planner.toml (or the embedded defaults) and the environment, once."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.config.environment import override_log_level, resolve_secrets
from planner.config.messages import describe
from planner.config.models import EMBEDDED, Config
from planner.domain.errors import ConfigError

CONFIG_FILE_NAME = "planner.toml"

_TOML_POSITION = re.compile(r"^(?P<what>.*?) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


def load_config(
    path: str | Path | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read the configuration: the file (./planner.toml or embedded defaults), then the env."""
    cwd = (Path.cwd() if cwd is None else cwd).resolve()
    environ = os.environ if environ is None else environ
    source, raw = _read(path, cwd)
    try:
        config = Config.model_validate(raw, context={"cwd": cwd})
    except ValidationError as exc:
        # `from None`: pydantic's own error would repeat the input, secrets included.
        raise ConfigError(describe(exc, source=source, raw=raw)) from None
    config = config.model_copy(update={"source": source})
    config = override_log_level(config, environ)
    return resolve_secrets(config, environ)


def _read(path: str | Path | None, cwd: Path) -> tuple[str, dict[str, Any]]:
    """The file's label for messages and its parsed content."""
    if path is None:
        discovered = cwd / CONFIG_FILE_NAME
        if not discovered.exists():
            return EMBEDDED, {}
        return CONFIG_FILE_NAME, _parse(discovered, CONFIG_FILE_NAME)
    file = Path(path).expanduser()
    file = file if file.is_absolute() else cwd / file
    label = str(path)
    if not file.exists():
        raise ConfigError(
            f"{label}: config file not found (looked for {file})",
            hint=f"check the path, or leave it out to use ./{CONFIG_FILE_NAME} or the defaults",
        )
    return label, _parse(file, label)


def _parse(file: Path, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: {_toml_problem(str(exc))}", hint=_TOML_HINT) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not a text file (TOML must be UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read the file ({exc.strerror})") from None


_TOML_HINT = "TOML wants key = value, text in quotes, and [section] headers"


def _toml_problem(message: str) -> str:
    # Python 3.11's TOMLDecodeError has no lineno attribute; the position is in its message.
    match = _TOML_POSITION.match(message)
    if match is None:
        return f"invalid TOML: {message}"
    return f"line {match['line']}, column {match['column']}: invalid TOML ({match['what'].lower()})"


# What an account's own file may not set: the deployment's config owns these for every account.
DEPLOYMENT_ONLY = ("database", "queue", "accounts", "logging")


def load_account_config(
    deployment: Config,
    name: str,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The configuration of account `name` of a deployment: its own file (connections, review
    sheet, Slack channels and roles, planning), with the database and logging the deployment's
    config decides: its own schema and role on PostgreSQL, its own file on SQLite."""
    cwd = (Path.cwd() if cwd is None else cwd).resolve()
    environ = os.environ if environ is None else environ
    settings = deployment.accounts[name]
    label = f"{deployment.source} [accounts.{name}] config"
    if not Path(settings.config).exists():
        raise ConfigError(
            f"{label}: account file not found ({settings.config})",
            hint=f"create it (an ordinary planner.toml), or remove [accounts.{name}]",
        )
    source, raw = _read(settings.config, cwd)
    shared = [key for key in DEPLOYMENT_ONLY if key in raw]
    if shared:
        raise ConfigError(
            f"{source}: [{'], ['.join(shared)}] belong to the deployment's config"
            f" ({deployment.source}), not to account {name}'s file",
            hint="remove them from the account's file; every account shares them",
        )
    base_dir = Path(deployment.paths.data_dir) / "accounts" / name
    raw.setdefault("paths", {})
    if isinstance(raw["paths"], dict):
        raw["paths"].setdefault("data_dir", str(base_dir))
    password = None
    if settings.database_password_env:
        password = environ.get(settings.database_password_env) or None
    raw["database"] = {
        "url": account_database_url(deployment.database.url, name, password),
        "echo": deployment.database.echo,
    }
    raw["logging"] = deployment.logging.model_dump()
    try:
        config = Config.model_validate(raw, context={"cwd": cwd})
    except ValidationError as exc:
        raise ConfigError(describe(exc, source=source, raw=raw)) from None
    config = config.model_copy(update={"source": source})
    return resolve_secrets(config, environ)


def account_role(name: str) -> str:
    """The PostgreSQL role and schema that hold account `name`'s data."""
    return f"planner_{name}"


def account_database_url(url: str, name: str, password: str | None) -> str:
    """Account `name`'s database: on PostgreSQL the deployment's database, logged in as the
    account's own role with its schema first on the search path (no other account's schema is
    readable by that role); on SQLite a file of its own beside the deployment's."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ConfigError(
                "[database] url: accounts need a database file or server, not an in-memory one",
                hint="set [database] url to a sqlite:///path or postgresql:// URL",
            )
        path = Path(database)
        return parsed.set(database=str(path.parent / "accounts" / f"{name}.db")).render_as_string(
            hide_password=False
        )
    role = account_role(name)
    query = {k: v for k, v in parsed.query.items() if k != "options"}
    query["options"] = f"-csearch_path={role}"
    return parsed.set(username=role, password=password, query=query).render_as_string(
        hide_password=False
    )
