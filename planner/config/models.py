"""The configuration as frozen pydantic models, one per [section] of planner.toml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.config.fields import (
    ConfigPath,
    Crontab,
    DatabaseUrl,
    EnvName,
    Flag,
    HttpUrl,
    Lowercase,
    NonNegative,
    Positive,
    SlackId,
    Text,
    TimeZoneName,
    Uppercase,
    context_cwd,
    database_password,
    hide_password,
    problem,
)
from planner.config.push import PushSection
from planner.domain.errors import NotFound
from planner.domain.marketplaces import Region, marketplace

DEFAULT_DATA_DIR = "planner-data"
EMBEDDED = "embedded defaults"

LogLevelName = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LOG_LEVELS: tuple[str, ...] = get_args(LogLevelName)


class Section(BaseModel):
    """Base of every section: unknown keys are errors and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Fields the loader fills in (from the environment), which the file must not set:
    # field name -> what to tell someone who wrote it in the file anyway.
    injected: ClassVar[dict[str, str]] = {}

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_injected(cls, value: Any, info: ValidationInfo) -> Any:
        # The loader sets these with model_copy, which skips validation; input is the file.
        if info.field_name in cls.injected:
            raise problem(cls.injected[info.field_name])
        return value


def _secret_from_env(key: str) -> str:
    return (
        f"unknown key: secrets are never read from the file; set {key}_env to the name of"
        " the environment variable that holds it"
    )


class DatabaseSettings(Section):
    """[database]: where planner keeps its data (SQLAlchemy URL)."""

    url: DatabaseUrl
    echo: Flag = False

    def __repr_args__(self) -> Any:
        # The URL may carry a password; show it masked.
        return [("url", hide_password(self.url)), ("echo", self.echo)]


class PathSettings(Section):
    """[paths]: the directory for the embedded database, log file and review workbook."""

    data_dir: ConfigPath = Field(default=Path(DEFAULT_DATA_DIR), validate_default=True)


class LoggingSettings(Section):
    """[logging]: how much to log and where."""

    level: Annotated[LogLevelName, Uppercase] = "INFO"
    file: ConfigPath
    # The file is rotated at this size, keeping this many older files (planner.log.1, …).
    max_bytes: Positive = 10_000_000
    backup_count: NonNegative = 5


def _never_to_none(value: Any) -> Any:
    if isinstance(value, str):
        if value.strip().lower() == "never":
            return None
        raise problem(f"expected a whole number of days or 'never', got {value!r}")
    return value


class Connection(Section):
    """[[amazon.connections]]: one seller account in one region, with its marketplaces."""

    injected: ClassVar[dict[str, str]] = {"refresh_token": _secret_from_env("refresh_token")}

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    region: Annotated[Region, Uppercase]
    # Normalised to country codes (UK -> GB, marketplace ids -> codes).
    marketplaces: tuple[str, ...] = Field(min_length=1)
    refresh_token_env: EnvName
    seller_id: Text | None = None
    inbound_order_type: Annotated[Literal["purchase", "transfer"], Lowercase] = "purchase"
    default_source_warehouse: Text | None = None
    ignore_unreceived_after_days: NonNegative | None = None
    # Amazon pools this account's FBA stock in the Pan-EU marketplaces (Pan-European FBA, EFN):
    # the sync counts it once. False if every marketplace holds its own stock.
    pooled_fba: bool = True
    # The account uses Remote Fulfillment with FBA (US stock serving CA/MX orders): Amazon answers
    # the US stock for US, CA and MX, and the sync counts it once (NA only, with pooled_fba).
    remote_fulfillment: bool = False
    refresh_token: SecretStr | None = Field(default=None, exclude=True)

    @field_validator("marketplaces")
    @classmethod
    def _known_and_in_region(cls, codes: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        region = info.data.get("region")
        found: list[str] = []
        problems: list[str] = []
        for code in codes:
            try:
                market = marketplace(code)
            except NotFound as exc:
                problems.append(str(exc))
                continue
            if region is not None and market.region is not region:
                problems.append(
                    f"{code!r} is in region {market.region}, not {region}"
                    f" (move it to a connection with region = '{market.region}')"
                )
            elif market.country_code in found:
                problems.append(f"{code!r} is listed twice")
            found.append(market.country_code)
        if problems:
            raise problem("; ".join(problems))
        return tuple(found)

    @field_validator("remote_fulfillment")
    @classmethod
    def _remote_in_north_america(cls, on: bool, info: ValidationInfo) -> bool:
        region = info.data.get("region")
        if on and region is not None and region is not Region.NA:
            raise problem(
                f"remote_fulfillment is North America's (US stock serving CA and MX), not "
                f"region {region}'s; remove it from this connection"
            )
        return on

    @property
    def marketplace_ids(self) -> tuple[str, ...]:
        """The SP-API marketplace ids of this connection, in file order."""
        return tuple(marketplace(code).marketplace_id for code in self.marketplaces)


def demo_connections() -> tuple[Connection, ...]:
    """The two demo seller accounts served by the built-in Amazon sandbox."""
    return (
        Connection(
            name="amazon-na",
            region=Region.NA,
            marketplaces=("US", "CA", "MX"),
            refresh_token_env="SP_API_REFRESH_TOKEN_NA",
        ),
        Connection(
            name="amazon-eu",
            region=Region.EU,
            marketplaces=("GB", "DE", "FR", "IT", "ES"),
            refresh_token_env="SP_API_REFRESH_TOKEN_EU",
        ),
    )


class AmazonSettings(Section):
    """[amazon]: the built-in sandbox or the real SP-API, and the seller accounts."""

    injected: ClassVar[dict[str, str]] = {
        "client_id": _secret_from_env("client_id"),
        "client_secret": _secret_from_env("client_secret"),
    }

    mode: Annotated[Literal["sandbox", "sp-api"], Lowercase] = "sandbox"
    endpoint: HttpUrl | None = None
    lwa_endpoint: HttpUrl | None = None
    client_id_env: EnvName = "SP_API_CLIENT_ID"
    client_secret_env: EnvName = "SP_API_CLIENT_SECRET"
    # How long one SP-API request may wait for its answer. A push killed while its
    # createInboundPlan was in flight is followed by one that waits this long (plus Amazon's
    # listing delay) before it concludes the plan was not made.
    request_timeout_seconds: Annotated[int, Field(strict=True, ge=1, le=300)] = 30
    connections: tuple[Connection, ...] = Field(default_factory=demo_connections, min_length=1)
    push: PushSection = PushSection()
    client_id: SecretStr | None = Field(default=None, exclude=True)
    client_secret: SecretStr | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _real_accounts_need_connections(cls, data: Any) -> Any:
        # The demo accounts only exist in the sandbox; never guess real ones.
        if isinstance(data, dict) and "connections" not in data:
            mode = data.get("mode")
            if isinstance(mode, str) and mode.strip().lower() == "sp-api":
                raise problem(
                    "missing: mode = 'sp-api' needs at least one [[amazon.connections]] table"
                    " (see config.example.toml)",
                    key="connections",
                )
        return data

    @model_validator(mode="after")
    def _unique_names(self) -> AmazonSettings:
        seen: set[str] = set()
        for connection in self.connections:
            key = connection.name.casefold()
            if key in seen:
                raise problem(
                    f"two connections are named {connection.name!r}; give each a unique name",
                    key="connections",
                )
            seen.add(key)
        return self

    @model_validator(mode="after")
    def _amazon_labels_not_in_us(self) -> AmazonSettings:
        # Amazon does not label units bound for its US marketplace.
        if self.push.label_owner == "AMAZON" and any(
            "US" in c.marketplaces for c in self.connections
        ):
            raise problem(
                "Amazon does not label units for the US marketplace; set label_owner to"
                " 'SELLER' (or 'NONE' for units that need no label)",
                key="push",
            )
        return self

    def connection(self, name: str) -> Connection:
        """The connection with this name (case-insensitive)."""
        for connection in self.connections:
            if connection.name.casefold() == name.casefold():
                return connection
        known = ", ".join(c.name for c in self.connections)
        raise NotFound(f"no Amazon connection named {name!r}", hint=f"configured: {known}")


class SheetsSettings(Section):
    """[sheets]: where the review sheet lives (an .xlsx workbook or a Google Sheet)."""

    backend: Annotated[Literal["xlsx", "google"], Lowercase] = "xlsx"
    path: ConfigPath
    spreadsheet_key: Text | None = None
    service_account_file: ConfigPath | None = None
    api_base_url: HttpUrl | None = None
    # E-mail addresses the Google Sheet is shared with (as writers) on first publish.
    share_with: tuple[Text, ...] = ()
    # How long Google Sheets calls are retried after quota (429) and server errors, in seconds
    # of waiting; more than the minute Google's per-minute quotas take to refill.
    retry_seconds: Annotated[float, Field(strict=False, ge=0, le=3600)] = 120.0

    @model_validator(mode="after")
    def _google_needs_key_and_account(self) -> SheetsSettings:
        if self.backend != "google":
            return self
        if self.spreadsheet_key is None:
            raise problem(
                "missing: backend = 'google' needs the key of the spreadsheet"
                " (the long id in its URL: docs.google.com/spreadsheets/d/<key>/edit)",
                key="spreadsheet_key",
            )
        if self.service_account_file is None:
            raise problem(
                "missing: backend = 'google' needs the service account's JSON key file",
                key="service_account_file",
            )
        if not self.service_account_file.is_file():
            raise problem(
                f"file not found: {self.service_account_file} (download the service account's"
                " JSON key from Google Cloud and give its path)",
                key="service_account_file",
            )
        return self


class SlackRoles(Section):
    """[slack.roles]: who may view, approve and administer; empty viewers means everyone."""

    viewers: tuple[SlackId, ...] = ()
    approvers: tuple[SlackId, ...] = ()
    admins: tuple[SlackId, ...] = ()


class SlackSettings(Section):
    """[slack]: the bot (console, HTTP or Socket Mode) and its daily digest."""

    injected: ClassVar[dict[str, str]] = {
        key: _secret_from_env(key) for key in ("bot_token", "signing_secret", "app_token")
    }

    mode: Annotated[Literal["console", "http", "socket"], Lowercase] = "console"
    bot_token_env: EnvName = "SLACK_BOT_TOKEN"
    signing_secret_env: EnvName = "SLACK_SIGNING_SECRET"
    app_token_env: EnvName = "SLACK_APP_TOKEN"
    api_base_url: HttpUrl | None = None
    digest_channel: Text = "#inventory"
    port: Annotated[int, Field(strict=True, ge=1, le=65535)] = 3000
    # HTTP mode: a client gets this long to send a request's headers (and its body), else its
    # connection is closed; idle keep-alive connections close after the same time.
    read_timeout_seconds: Annotated[int, Field(strict=True, ge=1, le=300)] = 15
    roles: SlackRoles = SlackRoles()
    bot_token: SecretStr | None = Field(default=None, exclude=True)
    signing_secret: SecretStr | None = Field(default=None, exclude=True)
    app_token: SecretStr | None = Field(default=None, exclude=True)


class ScheduleSettings(Section):
    """[schedule]: when the daily sync and digest run."""

    timezone: TimeZoneName = "UTC"
    sync_cron: Crontab = "0 5 * * *"
    digest_cron: Crontab = "30 7 * * *"


def _iso_currency(code: str) -> str:
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise problem(f"{code!r} is not an ISO 4217 currency code (USD, EUR, GBP, JPY…)")
    return code


class PlanningSettings(Section):
    """[planning]: the replenishment policy used unless a variant overrides it."""

    lead_time_days: NonNegative = 30
    days_of_stock: Positive = 30
    service_level: Annotated[float, Field(strict=True, ge=0.5, lt=1)] = 0.95
    # What service_level means: "cycle" (no stockout in that share of ordering cycles) or
    # "fill_rate" (that share of demand served from stock; needs less safety stock).
    service_measure: Annotated[Literal["cycle", "fill_rate"], Lowercase] = "cycle"
    # None means unreceived FBA shipments are never ignored ('never' in the file).
    ignore_unreceived_fba_after_days: Annotated[
        NonNegative | None, BeforeValidator(_never_to_none)
    ] = 14
    history_days: Positive = 730
    # Transit days of a transfer between two of your warehouses (e.g. 3PL to FBA).
    transfer_lead_time_days: NonNegative = 10
    # No row gets more days of cover than this from MOQ, pack or minimum-value rounding alone
    # without its explanation saying why.
    max_cover_days: Annotated[int, Field(strict=True, ge=1, le=3650)] = 365
    # Where assembly orders are built (an IP warehouse code); default: the first IP warehouse.
    assembly_warehouse: Text | None = None
    # How many days actual deliveries vary around the quoted lead time (standard deviation);
    # safety stock then also covers late deliveries. Per vendor where known, else the default.
    lead_time_std_days: Annotated[float, Field(strict=False, ge=0, le=365)] = 0.0
    vendor_lead_time_std_days: dict[str, Annotated[float, Field(ge=0, le=365)]] = Field(
        default_factory=dict
    )
    # The reporting currency: order and overstock values of vendors in other currencies are
    # summed in it, at the rates below (units of this currency per unit of the other).
    currency: Annotated[str, Uppercase, AfterValidator(_iso_currency)] = "USD"
    fx_rates: dict[str, Annotated[float, Field(strict=False, gt=0)]] = Field(default_factory=dict)

    @field_validator("fx_rates")
    @classmethod
    def _rates_by_code(cls, rates: dict[str, float]) -> dict[str, float]:
        out = {}
        for code, rate in rates.items():
            out[_iso_currency(code.strip().upper())] = rate
        return out

    @property
    def planning_period_days(self) -> int:
        """Lead time plus days of stock: how far ahead an order must cover."""
        return self.lead_time_days + self.days_of_stock


class QueueSettings(Section):
    """[queue]: run the daily cycle's work on a task queue (Dramatiq on Redis) shared by any
    number of `planner worker` processes. Absent: the cycle runs inside `planner serve`."""

    url: Annotated[str, Field(pattern=r"^rediss?://\S+$")]
    # How many series one forecasting task takes (the cycle splits each account's into parts).
    series_per_task: Annotated[int, Field(strict=True, ge=10, le=1_000_000)] = 5000
    # A task whose worker stopped sending heartbeats this long ago goes to another worker.
    heartbeat_seconds: Annotated[int, Field(strict=True, ge=1, le=3600)] = 60


_ACCOUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")


def _account_name(name: str) -> str:
    # The name becomes a PostgreSQL role and schema (planner_<name>): kept to what needs no quoting.
    if not _ACCOUNT_NAME.fullmatch(name):
        raise problem(
            f"account name {name!r}: use lower-case letters, digits and '_', starting with a"
            " letter, at most 30 characters (it names the account's database role and schema)"
        )
    return name


AccountName = Annotated[str, AfterValidator(_account_name)]


class AccountSettings(Section):
    """[accounts.NAME]: one client of the deployment, configured by its own planner.toml (its
    connections, review sheet, Slack channels and roles, planning); the deployment's database
    keeps it apart (its own schema and role on PostgreSQL, its own file on SQLite)."""

    config: ConfigPath
    # The environment variable holding the password of the account's database role
    # (PostgreSQL only; absent: the role logs in as the deployment's server allows).
    database_password_env: EnvName | None = None


class Config(Section):
    """Everything planner is configured with, read once at start-up and passed down."""

    injected: ClassVar[dict[str, str]] = {"source": "unknown key"}
    optional: ClassVar[tuple[str, ...]] = ("queue", "accounts")

    database: DatabaseSettings
    paths: PathSettings
    logging: LoggingSettings
    amazon: AmazonSettings
    sheets: SheetsSettings
    slack: SlackSettings
    schedule: ScheduleSettings
    planning: PlanningSettings
    queue: QueueSettings | None = None
    accounts: dict[AccountName, AccountSettings] = Field(default_factory=dict)
    # The file this came from, or "embedded defaults".
    source: str = Field(default=EMBEDDED, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _derive_paths(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill absent sections, and the paths whose defaults live under data_dir."""
        if not isinstance(data, dict):
            return data
        sections = [
            name
            for name in cls.model_fields
            if name not in cls.injected and name not in cls.optional
        ]
        data = {name: {} for name in sections} | data
        data_dir = _raw_data_dir(data["paths"], context_cwd(info))
        derived = {
            ("database", "url"): f"sqlite:///{data_dir / 'planner.db'}",
            ("logging", "file"): data_dir / "planner.log",
            ("sheets", "path"): data_dir / "review.xlsx",
        }
        for (section, key), value in derived.items():
            if isinstance(data[section], dict) and key not in data[section]:
                data[section] = {**data[section], key: value}
        return data

    def secret_values(self) -> list[str]:
        """Every non-empty secret value, for the log redactor."""
        secrets = [
            self.amazon.client_id,
            self.amazon.client_secret,
            *(connection.refresh_token for connection in self.amazon.connections),
            self.slack.bot_token,
            self.slack.signing_secret,
            self.slack.app_token,
        ]
        values = [secret.get_secret_value() for secret in secrets if secret is not None]
        values.append(database_password(self.database.url) or "")
        return [value for value in values if value]


def _raw_data_dir(paths: Any, cwd: Path) -> Path:
    raw = paths.get("data_dir") if isinstance(paths, dict) else None
    # A bad value is reported by PathSettings; derive the other defaults from the default.
    if not isinstance(raw, str) or not raw.strip():
        raw = DEFAULT_DATA_DIR
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (cwd / path).resolve()
