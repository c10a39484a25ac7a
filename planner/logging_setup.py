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


def configure_logging(level: str, *, log_file: Path | None, secrets: Iterable[str]) -> None:
    """Send planner's logs to stderr (and log_file), redacted; calling again replaces them."""
    name = level.strip().upper()
    if name not in _LEVELS:
        raise ConfigError(f"unknown log level {level!r}", hint=f"use one of {', '.join(_LEVELS)}")
    redactor = RedactSecrets(secrets)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handlers[0].set_name(f"{_HANDLER_PREFIX}stderr")
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        file_handler.set_name(f"{_HANDLER_PREFIX}file")
        handlers.append(file_handler)

    root = logging.getLogger()
    _remove_planner_handlers(root)
    root.setLevel(name)
    for handler in handlers:
        handler.setLevel(name)
        handler.addFilter(redactor)
        root.addHandler(handler)
    for library in _NOISY_LIBRARIES:
        # NOTSET: inherit the root level again when someone asks for DEBUG.
        logging.getLogger(library).setLevel(logging.NOTSET if name == "DEBUG" else logging.WARNING)


def _remove_planner_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if (handler.get_name() or "").startswith(_HANDLER_PREFIX):
            root.removeHandler(handler)
            handler.close()
