"""Logging for every entry point: one stderr handler, an optional file, secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from planner.domain.errors import ConfigError

REDACTED = "***"

# Handlers we own carry this name prefix, so reconfiguring replaces them and nothing else.
_HANDLER_PREFIX = "planner."
_NOISY_LIBRARIES = (
    "urllib3",
    "httpx",
    "sp_api",
    "slack_sdk",
    "slack_bolt",
    "alembic",
    "apscheduler",
    "fontTools",  # fpdf2 subsetting a PDF's font logs every table it prunes at INFO
)
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Token shapes worth hiding even when nobody told us the value.
_TOKEN_SHAPES = (
    r"(?<=Bearer )[A-Za-z0-9\-._~+/=|%]+",  # HTTP Authorization header
    r"Atz[ar]\|[A-Za-z0-9\-._~+/=|%]+",  # Login with Amazon access and refresh tokens
    r"\bx(?:ox[a-z]|app)-[A-Za-z0-9\-]+",  # Slack bot, user and app-level tokens
)


class RedactSecrets(logging.Filter):
    """Replace secret values and token-shaped strings with *** in each formatted record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret that contains another is hidden whole.
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        pattern = "|".join([*(re.escape(v) for v in values), *_TOKEN_SHAPES])
        self._pattern = re.compile(pattern)

    def redact(self, text: str) -> str:
        """The text with every secret replaced by ***."""
        return self._pattern.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: logging reports it; keep secrets out
            message = f"{record.msg} {record.args!r}"
        # Format now and drop args, so no handler formats the raw values again.
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(
    level: str,
    *,
    log_file: Path | None,
    secrets: Iterable[str],
    max_bytes: int = 10_000_000,
    backup_count: int = 5,
) -> None:
    """Send planner's logs to log_file (rotated) and stderr, redacted; calling again replaces them.

    With a file, stderr gets warnings and errors only (the file has every step), unless DEBUG.
    """
    name = level.strip().upper()
    if name not in _LEVELS:
        raise ConfigError(f"unknown log level {level!r}", hint=f"use one of {', '.join(_LEVELS)}")
    redactor = RedactSecrets(secrets)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    stderr.set_name(f"{_HANDLER_PREFIX}stderr")
    stderr.setLevel(name)
    handlers: list[logging.Handler] = [stderr]
    if log_file is not None:
        handlers.append(_file_handler(log_file, max_bytes=max_bytes, backup_count=backup_count))
        handlers[-1].setLevel(name)
        if name != "DEBUG":
            stderr.setLevel(max(logging.getLevelName(name), logging.WARNING))
            stderr.setFormatter(_WithoutTraceback("%(levelname)s %(name)s: %(message)s"))

    root = logging.getLogger()
    _remove_planner_handlers(root)
    root.setLevel(name)
    for handler in handlers:
        handler.addFilter(redactor)
        root.addHandler(handler)
    for library in _NOISY_LIBRARIES:
        # NOTSET: inherit the root level again when someone asks for DEBUG.
        logging.getLogger(library).setLevel(logging.NOTSET if name == "DEBUG" else logging.WARNING)


class _WithoutTraceback(logging.Formatter):
    """The record's line without its traceback: the log file has it, the terminal the gist."""

    def format(self, record: logging.LogRecord) -> str:
        brief = logging.makeLogRecord(record.__dict__)
        brief.exc_info, brief.exc_text, brief.stack_info = None, None, None
        return super().format(brief)


def _file_handler(log_file: Path, *, max_bytes: int, backup_count: int) -> logging.Handler:
    """The rotating log file; a path that cannot be written is a configuration error."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
        )
    except OSError as exc:
        raise ConfigError(
            f"logging.file: cannot write the log file {log_file} ({exc.strerror or exc})",
            hint="make its directory writable, or set [logging] file to a path planner can write",
        ) from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.set_name(f"{_HANDLER_PREFIX}file")
    return handler


def log_file_in_use() -> Path | None:
    """The file planner is logging to now (None before logging is set up, or without a file)."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == f"{_HANDLER_PREFIX}file" and isinstance(
            handler, logging.FileHandler
        ):
            return Path(handler.baseFilename)
    return None


def _remove_planner_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith(_HANDLER_PREFIX):
            root.removeHandler(handler)
            handler.close()
