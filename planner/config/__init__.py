"""Configuration, read once from planner.toml (or embedded defaults) and the environment.

This package is the only place planner reads environment variables.
"""

from planner.config.environment import LOG_LEVEL_VARIABLE
from planner.config.loader import (
    CONFIG_FILE_NAME,
    account_database_url,
    account_role,
    load_account_config,
    load_config,
)
from planner.config.models import (
    DEFAULT_DATA_DIR,
    EMBEDDED,
    LOG_LEVELS,
    AmazonSettings,
    Config,
    Connection,
    DatabaseSettings,
    LoggingSettings,
    PathSettings,
    PlanningSettings,
    ScheduleSettings,
    SheetsSettings,
    SlackRoles,
    SlackSettings,
    demo_connections,
)

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_DATA_DIR",
    "EMBEDDED",
    "LOG_LEVELS",
    "LOG_LEVEL_VARIABLE",
    "AmazonSettings",
    "Config",
    "Connection",
    "DatabaseSettings",
    "LoggingSettings",
    "PathSettings",
    "PlanningSettings",
    "ScheduleSettings",
    "SheetsSettings",
    "SlackRoles",
    "SlackSettings",
    "account_database_url",
    "account_role",
    "demo_connections",
    "load_account_config",
    "load_config",
]
