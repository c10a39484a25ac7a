"""Composition root: configuration → concrete adapters → use cases. The only place that builds.

Each thing is built once, on first use, from the configuration and handed out again after that
(nothing is built at import time: `planner --help` stays fast). The scheduler's jobs are here
too, as the functions its job store keeps: each builds an App from the config path and runs
the daily cycle; planner.scheduler receives them and imports nothing of this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from planner.adapters.amazon.auth import LWA_TOKEN_URL
from planner.adapters.amazon.gateway import GatewaySettings, SpApiGateway, region_endpoint
from planner.adapters.amazon.sandbox import (
    AmazonSandbox,
    SandboxCredentials,
    SandboxSeller,
    SandboxSettings,
    parse_fault,
)
from planner.adapters.amazon.throttle import PollPolicy
from planner.adapters.clock import SystemClock
from planner.config import (
    CONFIG_FILE_NAME,
    Config,
    account_role,
    load_account_config,
    load_config,
)
from planner.config import options as from_config
from planner.config.environment import malloc_arenas_limited
from planner.config.fields import database_password
from planner.demo import DemoSeller, generate_seller
from planner.demo.defaults import DEMO_SEED, DEMO_VARIANTS
from planner.domain.errors import ConfigError, PlannerError
from planner.domain.warehouses import Connection, InboundOrderType
from planner.forecast.parallel import leave_arenas
from planner.logging_setup import configure_logging
from planner.ports import AmazonGateway, Clock, Lease, ReviewSheet
from planner.services.plan_inputs import PlanningOptions
from planner.services.setup.service import SetupOptions
from planner.store.admin import StoreAdmin
from planner.store.database import make_engine
from planner.store.database import normalise_url as normalise
from planner.store.lease import CYCLE, SYNC, SqlLease, push_lease
from planner.store.migrate import upgrade
from planner.store.uow import SqlUnitOfWork

if TYPE_CHECKING:  # the Slack bot's types; bot and slack_bolt are imported only when used
    from apscheduler.schedulers.background import BackgroundScheduler
    from slack_bolt import App as BoltApp
    from slack_sdk.web import WebClient

    from bot.services import BotServices
    from planner.adapters.queue import TaskQueue
    from planner.ports import (
        InboundPlanGateway,
        Notifier,
        PushResult,
        RunTasks,
        ShipmentPusher,
        SyncProgress,
    )
    from planner.services.daily import DailyCycle
    from planner.services.queued_cycle import QueuedCycle
    from planner.services.sync import ConnectionSync

T = TypeVar("T")
log = logging.getLogger("planner.scheduler")  # the jobs' lines, as they always read


@dataclass
class App:
    """What a command, the scheduler or the bot needs, built from one configuration."""

    config: Config
    # Run once, before the engine is first built: an account's role and schema in a shared
    # database.
    provision: Callable[[], None] | None = field(default=None, repr=False)
    account: str | None = None  # the deployment's account this App serves (None: the only one)
    _migrated: bool = field(default=False, init=False)
    _built: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def _once(self, key: str, build: Callable[[], T]) -> T:
        """The thing built under `key`: built on first asking, the same object after that."""
        if key not in self._built:
            self._built[key] = build()
        return cast(T, self._built[key])

    @cached_property
    def clock(self) -> Clock:
        """What time it is, for everything the root builds (tests build an App with another)."""
        return SystemClock()

    def local_today(self) -> date:
        """Today in the [schedule] timezone (the day the scheduler's runs are for)."""
        return self.clock.today(ZoneInfo(self.config.schedule.timezone))

    @cached_property
    def engine(self) -> Engine:
        # An account's role and schema exist before its engine first connects: every path to
        # the database (`db upgrade`, the demo's reset, a migration) goes through here, once.
        if self.provision is not None:
            self.provision()
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

    def planning_options(self) -> PlanningOptions:
        """The [planning] section as the planning use case takes it."""
        return self._once(
            "planning_options", lambda: from_config.planning_options(self.config.planning)
        )

    def setup_options(self) -> SetupOptions:
        """What checking the settings tabs and CSV imports needs from the configuration."""
        return self._once("setup_options", lambda: from_config.setup_options(self.config.planning))

    def admin(self) -> StoreAdmin:
        """Whole-database chores (the demo's reset and its facts about the database)."""
        return StoreAdmin(self.engine)

    # -- leases (the one lock): the cycle, every sync, each order's push, the bot's buttons --

    def lease(self, name: str) -> Lease:
        """A holder of the named lease, on a migrated database."""
        self.migrate()
        return SqlLease(self.engine, name)

    def cycle_lease(self) -> Lease:
        """The lease a daily cycle run that changes data holds."""
        return self.lease(CYCLE)

    def sync_lease(self) -> Lease:
        """The lease every Amazon sync holds (the cycle's, `planner sync`, the bot's)."""
        return self.lease(SYNC)

    @property
    def data_dir(self) -> Path:
        return Path(self.config.paths.data_dir)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        self.stop_sandbox()

    # -- Amazon (issue 5): the connector, and the built-in sandbox it talks to in sandbox mode --

    def amazon(self, connection_name: str) -> AmazonGateway:
        """The Amazon connector for one configured connection.

        sp-api mode: Amazon (or any SP-API-compatible server named by endpoint/lwa_endpoint) with
        the credentials from the environment. sandbox mode: the built-in sandbox, in this process
        unless endpoint names one started with `planner sandbox serve`; never real credentials.
        """
        quiet_http_logs()
        amazon = self.config.amazon
        connection = amazon.connection(connection_name)
        if amazon.mode == "sandbox":
            if amazon.endpoint is None:
                sandbox = self.sandbox()
                endpoint, token_url = sandbox.url, sandbox.token_url
            else:
                endpoint = amazon.endpoint
                token_url = amazon.lwa_endpoint or endpoint.rstrip("/") + "/auth/o2/token"
            creds = sandbox_credentials(connection.name)
            return SpApiGateway(
                GatewaySettings(
                    endpoint=endpoint,
                    token_url=token_url,
                    client_id=creds.client_id,
                    client_secret=creds.client_secret,
                    refresh_token=creds.refresh_token,
                    poll=SANDBOX_POLL,
                    timeout=float(amazon.request_timeout_seconds),
                )
            )
        secrets = (amazon.client_id, amazon.client_secret, connection.refresh_token)
        if any(secret is None for secret in secrets):
            raise ConfigError(
                f"amazon connection {connection.name!r}: SP-API credentials are not set",
                hint=f"export {amazon.client_id_env}, {amazon.client_secret_env} and "
                f"{connection.refresh_token_env}",
            )
        client_id, client_secret, refresh_token = (
            secret.get_secret_value() for secret in secrets if secret is not None
        )
        return SpApiGateway(
            GatewaySettings(
                endpoint=amazon.endpoint or region_endpoint(connection.marketplace_ids[0]),
                token_url=amazon.lwa_endpoint or LWA_TOKEN_URL,
                client_id=client_id,
                client_secret=client_secret,
                refresh_token=refresh_token,
                timeout=float(amazon.request_timeout_seconds),
            )
        )

    def sandbox_gateway(self, connection_name: str) -> AmazonGateway:
        """A connector to the in-process sandbox whatever the mode (the demo syncs from it)."""
        quiet_http_logs()
        sandbox = self.sandbox()
        creds = sandbox_credentials(connection_name)
        return SpApiGateway(
            GatewaySettings(
                endpoint=sandbox.url,
                token_url=sandbox.token_url,
                client_id=creds.client_id,
                client_secret=creds.client_secret,
                refresh_token=creds.refresh_token,
                poll=SANDBOX_POLL,
                reports_in_flight=8,
            )
        )

    def amazon_connections(self) -> list[Connection]:
        """The configured connections as the domain knows them."""
        return [
            Connection(
                name=c.name,
                region=c.region,
                marketplace_ids=list(c.marketplace_ids),
                seller_id=c.seller_id or "",
                inbound_order_type=InboundOrderType(c.inbound_order_type),
                default_source_warehouse=c.default_source_warehouse,
                ignore_unreceived_after_days=(
                    c.ignore_unreceived_after_days
                    if c.ignore_unreceived_after_days is not None
                    else self.config.planning.ignore_unreceived_fba_after_days
                ),
                pooled_fba=c.pooled_fba,
                remote_fulfillment=c.remote_fulfillment,
            )
            for c in self.config.amazon.connections
        ]

    def sandbox(self, seller: DemoSeller | None = None) -> AmazonSandbox:
        """The in-process Amazon sandbox (started on first use) serving the demo seller."""
        current: AmazonSandbox | None = self.__dict__.get("_sandbox")
        if current is not None and (seller is None or current.seller.demo is seller):
            return current
        self.stop_sandbox()
        if seller is None:
            seed, variants = self._demo_shape()
            seller = generate_seller(seed=seed, variants=variants, today=self.clock.today())
        sandbox = AmazonSandbox(SandboxSeller(seller), IN_PROCESS_SANDBOX).start()
        self.__dict__["_sandbox"] = sandbox
        return sandbox

    def stop_sandbox(self) -> None:
        sandbox: AmazonSandbox | None = self.__dict__.pop("_sandbox", None)
        if sandbox is not None:
            sandbox.stop()

    def _demo_shape(self) -> tuple[int, int]:
        """The seed and size `planner demo` last used on this database (else the defaults)."""
        self.migrate()
        admin = self.admin()
        seed, variants = admin.get_meta("demo_seed"), admin.get_meta("demo_variants")
        return int(seed or DEMO_SEED), int(variants or DEMO_VARIANTS)

    def review_sheet(self) -> ReviewSheet:
        """The configured review sheet: the local workbook, or the Google Sheet by key."""
        from sheets.google import Backoff, GoogleReviewSheet, connect
        from sheets.xlsx import XlsxReviewSheet

        settings = self.config.sheets
        if settings.backend == "xlsx":
            return XlsxReviewSheet(Path(settings.path))
        assert settings.service_account_file and settings.spreadsheet_key  # config checks both
        base = str(settings.api_base_url) if settings.api_base_url else None
        client, account = connect(
            settings.service_account_file,
            api_base_url=base,
            backoff=Backoff(budget=settings.retry_seconds),
            share=bool(settings.share_with),
        )
        return GoogleReviewSheet(client, settings.spreadsheet_key, account=account)

    # -- Slack bot (issue 8): Web API client, the bot's services, the Bolt app, the notifier --

    def slack_client(self) -> WebClient:
        """The Web API client for the bot token, sending every call to [slack] api_base_url."""
        from bot.slack import make_client

        slack = self.config.slack
        token = slack.bot_token.get_secret_value() if slack.bot_token else None
        return make_client(token, base_url=str(slack.api_base_url) if slack.api_base_url else None)

    def review_sheet_location(self) -> str:
        """Where the review sheet is, for messages (without connecting to it)."""

        def location() -> str:
            sheets = self.config.sheets
            if sheets.backend == "google" and sheets.spreadsheet_key:
                return f"google-sheet:{sheets.spreadsheet_key}"
            return str(sheets.path)

        return self._once("review_sheet_location", location)

    def bot_services(self) -> BotServices:
        """What the bot's handlers use: units of work, the sheet, roles, sync and push."""
        return self._once("bot_services", self._bot_services)

    def _bot_services(self) -> BotServices:
        from bot.roles import RoleBook, RoleLists
        from bot.services import BotServices

        roles = self.config.slack.roles
        ids = (*roles.viewers, *roles.approvers, *roles.admins)
        members = None
        if any(i.startswith("S") for i in ids) and self.config.slack.bot_token is not None:
            client = self.slack_client()

            def members(group: str) -> list[str]:
                return list(client.usergroups_users_list(usergroup=group).get("users") or [])

        return BotServices(
            queries=self.uow,
            orders=self.uow,
            approve=self.uow,
            audit=self.uow,
            review_sheet=self.review_sheet,
            roles=RoleBook(RoleLists(roles.viewers, roles.approvers, roles.admins), members),
            lease=self.lease,
            options=self.planning_options(),
            sync=self.sync_everything,
            pusher=self.shipment_pusher(origin="slack"),
            sheet_location=self.review_sheet_location(),
            schedule=self.scheduled_jobs,
            today=self.clock.today,
            now=self.clock.now,
        )

    def scheduled_jobs(self) -> list[tuple[str, datetime | None]]:
        """The daily jobs `planner serve`'s scheduler keeps in the database, with their next run."""
        from planner.scheduler import scheduled_jobs

        return scheduled_jobs(self.engine)

    def scheduler(self, config_path: str | None) -> BackgroundScheduler:
        """`planner serve`'s scheduler (not started): the daily jobs from [schedule], stored in
        the migrated database; each run builds its own App from `config_path`."""
        from planner.scheduler import DailyJobs, build_scheduler

        self.migrate()
        jobs = DailyJobs(cycle=daily_cycle_job, digest=daily_digest_job)
        return build_scheduler(
            self.engine, self.config.schedule, jobs, config_path, account=self.account
        )

    def sync_everything(
        self, progress: SyncProgress, actor: str, *, wait_seconds: float = 0.0
    ) -> list[ConnectionSync]:
        """Sync every configured Amazon connection now (the bot's `sync`, the cycle's step)."""
        from planner.services.sync import sync_all

        synced = sync_all(
            self.amazon_connections(), self.amazon, self.uow, self.sync_lease(),
            progress=progress, actor=actor, wait_seconds=wait_seconds,
        )  # fmt: skip
        return [result for result, _requests in synced]

    def sync_one(self, connection: str, actor: str) -> ConnectionSync:
        """Sync one connection, holding the account's sync lease (a queued run's sync task)."""
        from planner.services.daily import SYNC_WAIT_SECONDS
        from planner.services.sync import sync_all

        chosen = [c for c in self.amazon_connections() if c.name == connection]
        if not chosen:
            raise ConfigError(
                f"{self.config.source}: no Amazon connection {connection!r} (a task of a run"
                " started before the config changed?)",
                hint="the next run syncs the connections the config has now",
            )
        synced = sync_all(
            chosen, self.amazon, self.uow, self.sync_lease(), actor=actor,
            wait_seconds=SYNC_WAIT_SECONDS,
        )  # fmt: skip
        return synced[0][0]

    def run_tasks(self) -> RunTasks:
        """The tasks of queued runs, in this account's store."""
        from planner.store.run_tasks import SqlRunTasks

        self.migrate()
        return SqlRunTasks(self.engine)

    def daily_cycle(self) -> DailyCycle:
        """What the daily cycle's steps use (planner run, the scheduler, the demo's days)."""
        return self._once("daily_cycle", self._daily_cycle)

    def _daily_cycle(self) -> DailyCycle:
        from planner.services.daily import DailyCycle

        return DailyCycle(
            uow=self.uow,
            sync=self.sync_everything,
            review_sheet=self.review_sheet,
            notifier=self.notifier,
            lease=self.cycle_lease,
            options=self.planning_options(),
            setup=self.setup_options(),
            share_with=self.config.sheets.share_with,
            sheet_location=self.review_sheet_location(),
        )

    def shipment_pusher(self, *, origin: str = "cli") -> ShipmentPusher | None:
        """Saving FBA-bound orders to Amazon (issue 6's use case); `origin` for the audit log."""
        return self._once(f"shipment_pusher:{origin}", lambda: self._shipment_pusher(origin))

    def _shipment_pusher(self, origin: str) -> ShipmentPusher:
        from planner.demo.places import DEMO_ADDRESS, DEMO_ITEM
        from planner.services.push import ShipmentPush
        from planner.store.push_claims import SqlPushClaims

        self.migrate()
        amazon = self.config.amazon
        sandbox = amazon.mode == "sandbox"
        settings = from_config.push_settings(
            amazon.push,
            default_ship_from=DEMO_ADDRESS if sandbox else None,
            default_item=DEMO_ITEM if sandbox else None,
        )
        return ShipmentPush(
            self.uow,
            SqlPushClaims(self.engine),
            self.inbound_gateway,
            settings,
            leases=lambda number: self.lease(push_lease(number)),
            origin=origin,
            clock=self.clock.timestamp,
        )

    def inbound_gateway(self, connection_name: str) -> InboundPlanGateway:
        """The connector's inbound-plan side for one connection (the same SP-API gateway)."""
        gateway = self.amazon(connection_name)
        assert isinstance(gateway, SpApiGateway)
        return gateway

    def bolt_app(self, *, token_verification: bool = True) -> BoltApp:
        """The Slack bot's Bolt app, on a migrated database."""
        from bot.app import build_app

        self.migrate()
        return build_app(
            self.bot_services(),
            self.config.slack,
            client=self.slack_client(),
            token_verification=token_verification,
        )

    def notifier(self, *, console: bool = False) -> Notifier:
        """Where the digest goes: the terminal in console mode (or when asked), else Slack."""
        from bot.console import ConsoleNotifier
        from bot.slack import SlackNotifier

        if console or self.config.slack.mode == "console":
            from rich.console import Console

            return ConsoleNotifier(Console(highlight=False), self.data_dir / "charts")
        return SlackNotifier(self.slack_client(), self.config.slack.digest_channel)


# The built-in sandbox, in this process: sandbox time runs 1000× faster (rate limits and report
# processing), so a demo's first sync of two years takes seconds, not the hour it takes at Amazon.
IN_PROCESS_SANDBOX = SandboxSettings(speed=1000.0)
SANDBOX_POLL = PollPolicy(first=0.05, factor=1.5, longest=2.0, give_up_after=600.0)


def serving_sandbox(
    *,
    seed: int,
    variants: int,
    speed: float,
    strict: bool,
    host: str,
    port: int,
    faults: tuple[str, ...] = (),
) -> AmazonSandbox:
    """The sandbox `planner sandbox serve` serves on a port: a demo seller of its own, with
    the faults `--fault` asked for (specs checked by `check_sandbox_fault` first)."""
    seller = generate_seller(seed=seed, variants=variants, today=date.today())
    settings = SandboxSettings(speed=speed, strict_credentials=strict)
    sandbox = AmazonSandbox(SandboxSeller(seller), settings, host=host, port=port)
    for spec in faults:
        fault = parse_fault(spec)
        sandbox.inject(fault.operation, fault.kind, times=fault.times, seconds=fault.seconds)
    return sandbox


def check_sandbox_fault(spec: str) -> str:
    """A `--fault` spec as given if the sandbox can inject it; ValueError says why not."""
    parse_fault(spec)
    return spec


def quiet_http_logs() -> None:
    """httpx logs every request at INFO; the connector logs what matters (retries) itself."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)


def sandbox_credentials(connection: str) -> SandboxCredentials:
    """The credentials the built-in sandbox accepts for a connection (not secrets)."""
    settings = SandboxSettings()
    return SandboxCredentials(
        settings.client_id, settings.client_secret, f"Atzr|planner-sandbox-{connection}"
    )


def daily_cycle_job(config_path: str | None, account: str | None = None) -> None:
    """The scheduler's daily-cycle job: sync → plan → publish (the digest runs on its own),
    on the task queue when the config has [queue], else in this process."""
    _daily_job(config_path, account, skip=("digest",), what="daily cycle")


def daily_digest_job(config_path: str | None, account: str | None = None) -> None:
    """The scheduler's digest job, naming any step of today's cycle that failed."""
    _daily_job(config_path, account, skip=("sync", "plan", "publish"), what="digest")


def _daily_job(
    config_path: str | None, account: str | None, *, skip: tuple[str, ...], what: str
) -> None:
    from planner.services.daily import run_daily_cycle
    from planner.services.queued_cycle import start_run

    deployment = Deployment.load(config_path)
    try:
        app = deployment.app(account)
        if deployment.queued:
            q = deployment.queued_cycle(app.account or ONLY_ACCOUNT)
            try:
                run = start_run(q, today=app.local_today(), trigger="scheduler", skip=skip)
            except PlannerError as exc:  # yesterday's run still going: said, not a traceback
                log.warning("%s not started: %s (%s)", what, exc.message, exc.hint or "")
                return
            log.info("%s run %s: sent to the task queue", what, run.id)
            return
        run = run_daily_cycle(
            app.daily_cycle(),
            today=app.local_today(),
            trigger="scheduler",
            actor="scheduler",
            skip=skip,
        )
        log.info("%s run %s: %s", what, run.id, run.status.value)
    finally:
        deployment.close()


def build_app(
    config_path: str | Path | None = None, *, cwd: Path | None = None, account: str | None = None
) -> App:
    """Read the configuration once, set up logging, and return the application (of `account`
    when the deployment serves several)."""
    return Deployment.load(config_path, cwd=cwd).app(account)


ONLY_ACCOUNT = "default"  # the name of a deployment's one account when it declares none


@dataclass
class Deployment:
    """Every account one deployment serves, each with its own App (built on first use).

    Without [accounts] the deployment is one account, "default", configured by the file itself,
    exactly as before accounts existed.
    """

    config: Config
    configs: dict[str, Config]
    # The config file (absolute) and the folder its relative paths are read from: what a task
    # message names so every worker reads the same deployment.
    path: Path | None = None
    cwd: Path | None = None
    _apps: dict[str, App] = field(default_factory=dict, init=False, repr=False)
    _queue: TaskQueue | None = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, config_path: str | Path | None = None, *, cwd: Path | None = None) -> Deployment:
        """Read the deployment's config and every account's, set up logging once."""
        if malloc_arenas_limited():
            leave_arenas()  # the user's own limit on glibc's arenas stands
        config = load_config(config_path, cwd=cwd)
        if config.accounts:
            configs = {
                name: load_account_config(config, name, cwd=cwd) for name in sorted(config.accounts)
            }
        else:
            configs = {ONLY_ACCOUNT: config}
        for each in configs.values():
            ensure_data_dir(Path(each.paths.data_dir))
        settings = config.logging
        configure_logging(
            settings.level,
            log_file=Path(settings.file) if settings.file else None,
            secrets=sorted({s for c in (config, *configs.values()) for s in c.secret_values()}),
            max_bytes=settings.max_bytes,
            backup_count=settings.backup_count,
        )
        here = cwd or Path.cwd()
        path = None
        if config_path is not None:
            path = Path(config_path).expanduser()
            path = path if path.is_absolute() else here / path
        elif (here / CONFIG_FILE_NAME).exists():
            path = here / CONFIG_FILE_NAME
        return cls(config, configs, path=path, cwd=here)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.configs)

    @property
    def has_accounts(self) -> bool:
        return bool(self.config.accounts)

    def app(self, name: str | None = None) -> App:
        """The App of account `name` (None: the only one, when there is only one)."""
        if name is None:
            if self.has_accounts:
                raise ConfigError(
                    f"{self.config.source} serves accounts {', '.join(self.names)}:"
                    " say which one this is for",
                    hint="add --account NAME (or set PLANNER_ACCOUNT)",
                )
            name = ONLY_ACCOUNT
        if name not in self.configs:
            known = ", ".join(self.names)
            raise ConfigError(
                f"no account {name!r} in {self.config.source} (its accounts: {known})",
                hint="use one of those names, or add [accounts." + name + "] to the config",
            )
        if name not in self._apps:
            self._apps[name] = self._build(name)
        return self._apps[name]

    def _build(self, name: str) -> App:
        config = self.configs[name]
        if not self.has_accounts:
            return App(config)
        admin_url = self.config.database.url
        # The account's URL already carries the password the config module read for it.
        password = database_password(config.database.url)

        def provision() -> None:
            from planner.store.accounts import provision_account

            admin = make_engine(admin_url)
            try:
                provision_account(admin, account_role(name), password)
            finally:
                admin.dispose()

        postgres = make_url(normalise(admin_url)).get_backend_name() == "postgresql"
        return App(config, provision=provision if postgres else None, account=name)

    # -- the task queue (issue 20): [queue] present → the cycle's work goes to `planner worker`s --

    @property
    def queued(self) -> bool:
        return self.config.queue is not None

    def task_queue(self) -> TaskQueue:
        """The queue [queue] names (ConfigError when there is none or Redis does not answer)."""
        from planner.adapters.queue import TaskQueue

        settings = self.config.queue
        if settings is None:
            raise ConfigError(
                f"{self.config.source} has no [queue]: the daily cycle runs in-process",
                hint='add [queue] url = "redis://127.0.0.1:6379/0" to use `planner worker`s',
            )
        if self._queue is None:
            queue = TaskQueue(settings.url, heartbeat_seconds=settings.heartbeat_seconds)
            queue.check()
            self._queue = queue
        return self._queue

    def queued_cycle(self, name: str) -> QueuedCycle:
        """What account `name`'s queued runs use: its store, its connections, this queue."""
        from planner.services.queued_cycle import QueuedCycle

        settings = self.config.queue
        assert settings is not None
        app = self.app(name)
        queue = self.task_queue()
        config = str(self.path)

        def send(run: int, key: str, today: date, *, delay: float = 0.0) -> None:
            queue.send(config=config, cwd=str(self.cwd), account=name, run=run, key=key,
                       today=today, delay=delay)  # fmt: skip

        return QueuedCycle(
            cycle=app.daily_cycle(),
            tasks=app.run_tasks(),
            lease=app.lease,
            sync_one=app.sync_one,
            connections=[c.name for c in app.amazon_connections()],
            send=send,
            series_per_task=settings.series_per_task,
            lease_seconds=max(3 * settings.heartbeat_seconds, 10),
            account=name,
            push=lambda order, split, actor: self._push(name, order, split, actor),
        )

    def _push(self, name: str, order: str, split: bool, actor: str) -> PushResult:
        pusher = self.app(name).shipment_pusher(origin="worker")
        if pusher is None:
            raise ConfigError(f"account {name} cannot save orders to Amazon")
        return pusher.push(order, split=split, actor=actor)

    def close(self) -> None:
        for app in self._apps.values():
            app.close()
        self._apps.clear()
        if self._queue is not None:
            self._queue.close()
            self._queue = None


def ensure_data_dir(data_dir: Path) -> None:
    """Create the data directory; a path through a file or a read-only place is a config error."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"paths.data_dir: cannot create the data directory {data_dir} ({exc.strerror or exc})",
            hint="set [paths] data_dir to a directory planner can write (not under a file)",
        ) from None
