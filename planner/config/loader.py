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
