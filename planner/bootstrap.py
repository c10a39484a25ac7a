"""Composition root: configuration → concrete adapters → use cases. The only place that builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from planner.config import Config, load_config
from planner.logging_setup import configure_logging
from planner.store.database import make_engine
from planner.store.migrate import upgrade
from planner.store.uow import SqlUnitOfWork


@dataclass
class App:
    """What a command, the scheduler or the bot needs, built from one configuration."""

    config: Config
    _migrated: bool = field(default=False, init=False)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.config.database.url, echo=self.config.database.echo)

    def migrate(self) -> None:
        """Bring the schema up to date (cheap when it already is)."""
        if not self._migrated:
            upgrade(self.engine)
            self._migrated = True

    def uow(self) -> SqlUnitOfWork:
        """A fresh unit of work on a migrated database."""
        self.migrate()
        return SqlUnitOfWork(self.engine)

    @property
    def data_dir(self) -> Path:
        return Path(self.config.paths.data_dir)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_app(config_path: str | Path | None = None, *, cwd: Path | None = None) -> App:
    """Read the configuration once, set up logging, and return the application."""
    config = load_config(config_path, cwd=cwd)
    log_file = config.logging.file
    configure_logging(
        config.logging.level,
        log_file=Path(log_file) if log_file else None,
        secrets=config.secret_values(),
    )
    return App(config)
