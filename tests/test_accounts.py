"""One deployment serving several accounts (an agency's clients), as the person running it sees it.

Each account has its own file (connections, review sheet, Slack channel and roles) and its own
place in the deployment's database: a SQLite file of its own, or, on a shared PostgreSQL
database, a role of its own owning a schema no other account's role may enter (a test tries).
Without [accounts] nothing changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_support import (
    fixture_restore_logging,  # noqa: F401  (a fixture)
    run,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from planner.bootstrap import Deployment
from planner.store.database import normalise_url

pytestmark = pytest.mark.usefixtures("restore_logging")

VENDORS_HEADER = (
    "name,currency,lead_time_days,days_of_stock,moq_units,min_order_value,email,address"
)


def write_deployment(
    root: Path, accounts: dict[str, str], *, database: str | None = None, extra: str = ""
) -> Path:
    """planner.toml serving `accounts` (name → its file's content), each file beside it."""
    lines = [f'[paths]\ndata_dir = "{root / "data"}"\n']
    if database is not None:
        lines.append(f'[database]\nurl = "{database}"\n')
    for name, body in accounts.items():
        (root / f"{name}.toml").write_text(body, "utf-8")
        lines.append(f'[accounts.{name}]\nconfig = "{root / f"{name}.toml"}"\n')
    config = root / "planner.toml"
    config.write_text("\n".join(lines) + extra, "utf-8")
    return config


def vendors_csv(root: Path, *names: str) -> Path:
    path = root / f"vendors-{uuid.uuid4().hex[:6]}.csv"
    rows = [f"{name},USD,30,60,10,0,buy@{name.lower().replace(' ', '')}.example," for name in names]
    path.write_text("\n".join([VENDORS_HEADER, *rows]) + "\n", "utf-8")
    return path


def vendor_names(capsys: pytest.CaptureFixture[str], config: Path, *account: str) -> list[str]:
    code, out, err = run(capsys, config, *account, "vendors", "--json")
    assert code == 0, err
    return sorted(v["name"] for v in json.loads(out))


def refused(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    """The one-line error a refused command prints (exit 2, no traceback)."""
    code, out, err = run(capsys, config, *args)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    assert "internal error" not in err
    return " ".join(err.split())  # the console wraps long lines


# -- configuration -------------------------------------------------------------------------------


def test_a_deployment_of_two_accounts_loads_each_with_its_own_settings(tmp_path: Path) -> None:
    config = write_deployment(
        tmp_path,
        {
            "north": '[slack]\ndigest_channel = "#north-stock"\n',
            "south": '[sheets]\npath = "south-review.xlsx"\n',
        },
    )
    deployment = Deployment.load(config, cwd=tmp_path)
    try:
        assert deployment.names == ("north", "south")
        north, south = deployment.app("north"), deployment.app("south")
        assert north.config.slack.digest_channel == "#north-stock"
        assert south.config.slack.digest_channel == "#inventory"  # the default
        assert south.config.sheets.path == tmp_path / "south-review.xlsx"
        # Each account's data directory (charts, its workbook) is its own.
        assert north.data_dir == tmp_path / "data" / "accounts" / "north"
        assert north.config.sheets.path == north.data_dir / "review.xlsx"
    finally:
        deployment.close()


@pytest.mark.parametrize(
    "section", ["[database]\nurl = 'sqlite:///x.db'", "[queue]\nurl = 'redis://q'", "[logging]"]
)
def test_an_account_file_may_not_set_what_the_deployment_owns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str
) -> None:
    config = write_deployment(tmp_path, {"north": section + "\n", "south": ""})
    message = refused(capsys, config, "--account", "north", "vendors")
    name = section.split("]")[0] + "]"
    assert str(tmp_path / "north.toml") in message
    assert name in message
    assert "belong to the deployment's config" in message


def test_an_account_file_may_not_declare_accounts_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inner.toml").write_text("", "utf-8")
    nested = f'[accounts.inner]\nconfig = "{tmp_path / "inner.toml"}"\n'
    config = write_deployment(tmp_path, {"north": nested, "south": ""})
    message = refused(capsys, config, "--account", "north", "vendors")
    assert str(tmp_path / "north.toml") in message and "[accounts]" in message


def test_an_unknown_account_is_named_with_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_deployment(tmp_path, {"north": "", "south": ""})
    message = refused(capsys, config, "--account", "west", "vendors")
    assert "no account 'west'" in message
    assert "north, south" in message


def test_a_command_without_account_on_several_says_to_add_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANNER_ACCOUNT", raising=False)
    config = write_deployment(tmp_path, {"north": "", "south": ""})
    message = refused(capsys, config, "vendors")
    assert "serves accounts north, south" in message
    assert "--account NAME" in message and "PLANNER_ACCOUNT" in message
    # The environment variable picks one as --account does.
    monkeypatch.setenv("PLANNER_ACCOUNT", "south")
    assert vendor_names(capsys, config) == []


def test_a_missing_account_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_deployment(tmp_path, {"north": ""})
    (tmp_path / "north.toml").unlink()
    message = refused(capsys, config, "--account", "north", "vendors")
    assert "account file not found" in message
    assert str(tmp_path / "north.toml") in message


def test_an_account_name_that_cannot_be_a_role_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_deployment(tmp_path, {"north": ""})
    text_ = config.read_text("utf-8").replace("[accounts.north]", '[accounts."North-1"]')
    config.write_text(text_, "utf-8")
    message = refused(capsys, config, "accounts")
    # Not the generic "letters, digits, '.', '_' or '-'" of other names: '-' and capitals are out.
    assert "account name 'North-1': use lower-case letters, digits and '_'" in message


# -- SQLite: a file each ---------------------------------------------------------------------------


def test_on_sqlite_each_account_has_its_own_file_and_sees_only_its_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_deployment(tmp_path, {"north": "", "south": ""})
    north = ("--account", "north")
    assert (
        run(capsys, config, *north, "import", "vendors", str(vendors_csv(tmp_path, "Fjord")))[0]
        == 0
    )
    south = ("--account", "south")
    assert (
        run(capsys, config, *south, "import", "vendors", str(vendors_csv(tmp_path, "Sahara")))[0]
        == 0
    )

    assert vendor_names(capsys, config, *north) == ["Fjord"]
    assert vendor_names(capsys, config, *south) == ["Sahara"]
    files = sorted(p.name for p in (tmp_path / "data" / "accounts").glob("*.db"))
    assert files == ["north.db", "south.db"]
    assert not (tmp_path / "data" / "planner.db").exists()  # no shared file behind them


def test_without_accounts_everything_is_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANNER_ACCOUNT", raising=False)
    config = write_deployment(tmp_path, {})
    assert run(capsys, config, "import", "vendors", str(vendors_csv(tmp_path, "Fjord")))[0] == 0
    assert vendor_names(capsys, config) == ["Fjord"]
    assert (tmp_path / "data" / "planner.db").is_file()  # the database where it always was
    assert not (tmp_path / "data" / "accounts").exists()

    code, out, _ = run(capsys, config, "accounts", "--json")
    assert code == 0
    [only] = json.loads(out)["accounts"]
    assert only["name"] == "default"
    assert only["database"] == f"sqlite:///{tmp_path / 'data' / 'planner.db'}"
    assert only["schema"] is None


# -- planner accounts ------------------------------------------------------------------------------


def test_planner_accounts_lists_each_account_with_its_place_and_channels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("SP_API_CLIENT_ID", "SP_API_CLIENT_SECRET", "SOUTH_REFRESH_TOKEN"):
        monkeypatch.setenv(variable, f"Atzr|{variable.lower()}-secret")
    north = '[slack]\ndigest_channel = "#north-stock"\n'
    south = (
        '[amazon]\nmode = "sp-api"\n[[amazon.connections]]\nname = "south-us"\n'
        'region = "NA"\nmarketplaces = ["US"]\nrefresh_token_env = "SOUTH_REFRESH_TOKEN"\n'
    )
    config = write_deployment(tmp_path, {"north": north, "south": south})
    code, out, err = run(capsys, config, "accounts", "--json")
    assert code == 0, err
    found = {a["name"]: a for a in json.loads(out)["accounts"]}
    assert list(found) == ["north", "south"]
    assert found["north"] == {
        "name": "north",
        "config": str(tmp_path / "north.toml"),
        "database": f"sqlite:///{tmp_path / 'data' / 'accounts' / 'north.db'}",
        "schema": None,
        "connections": ["amazon-na", "amazon-eu"],  # the demo sandbox's
        "amazon_mode": "sandbox",
        "review_sheet": str(tmp_path / "data" / "accounts" / "north" / "review.xlsx"),
        "slack_mode": "console",
        "digest_channel": "#north-stock",
    }
    assert found["south"]["connections"] == ["south-us"]
    assert found["south"]["amazon_mode"] == "sp-api"
    assert "-secret" not in out + err
    assert not (tmp_path / "data" / "accounts" / "north.db").exists()  # listing connects nowhere

    code, out, _ = run(capsys, config, "accounts")
    assert code == 0
    assert "north" in out and "#north-stock" in out and "south-us" in out
    assert "-secret" not in out


# -- Slack: each account its own digest channel ----------------------------------------------------


def test_each_account_sends_its_digest_to_its_own_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.slack import SlackNotifier

    for variable, value in (
        ("NORTH_BOT", "xoxb-north-0000"),
        ("SOUTH_BOT", "xoxb-south-0000"),
        ("SLACK_SIGNING_SECRET", "signing-secret-0000"),
    ):
        monkeypatch.setenv(variable, value)

    north = '[slack]\nmode = "http"\ndigest_channel = "#north-stock"\nbot_token_env = "NORTH_BOT"\n'
    south = '[slack]\nmode = "http"\ndigest_channel = "#south-stock"\nbot_token_env = "SOUTH_BOT"\n'
    config = write_deployment(tmp_path, {"north": north, "south": south})
    deployment = Deployment.load(config, cwd=tmp_path)
    try:
        channels = {}
        for name in deployment.names:
            notifier = deployment.app(name).notifier()
            assert isinstance(notifier, SlackNotifier)
            channels[name] = notifier.channel
        assert channels == {"north": "#north-stock", "south": "#south-stock"}
        tokens = {n: deployment.app(n).config.slack.bot_token for n in deployment.names}
        assert {n: t.get_secret_value() for n, t in tokens.items() if t} == {
            "north": "xoxb-north-0000",
            "south": "xoxb-south-0000",
        }
    finally:
        deployment.close()
    code, out, err = run(capsys, config, "accounts", "--json")
    assert code == 0, err
    digests = {
        a["name"]: (a["slack_mode"], a["digest_channel"]) for a in json.loads(out)["accounts"]
    }
    assert digests == {"north": ("http", "#north-stock"), "south": ("http", "#south-stock")}
    assert "0000" not in out + err  # no token, no secret


# -- PostgreSQL: a role and a schema each, and no way into another's -------------------------------


@dataclass
class SharedDatabase:
    url: str  # the deployment's: an administrator of a fresh database made for this test
    suffix: str  # makes this run's account (role) names unique on the cluster


@pytest.fixture(name="shared_db")
def fixture_shared_db(postgres_server_url: str) -> Iterator[SharedDatabase]:
    """A fresh PostgreSQL database for one test, dropped after it with the roles it made."""
    server = make_url(normalise_url(postgres_server_url))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {server.render_as_string(hide_password=True)}"
            f" ({exc.orig}); set PLANNER_TEST_DATABASE_URL to run the accounts isolation tests"
        )
    suffix = uuid.uuid4().hex[:8]
    name = f"planner_accounts_{suffix}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except ProgrammingError as exc:
        admin.dispose()
        pytest.skip(
            f"the test login cannot create a database ({exc.orig}); the accounts isolation"
            " tests need one that may create databases and roles"
        )
    try:
        yield SharedDatabase(
            server.set(database=name).render_as_string(hide_password=False), suffix
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            roles = conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"),
                {"p": f"planner_%{suffix}"},
            ).scalars()
            for role in list(roles):
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.postgres
def test_on_postgresql_no_account_can_read_another_accounts_rows(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    shared_db: SharedDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = f"north_{shared_db.suffix}", f"south_{shared_db.suffix}"
    monkeypatch.setenv("NORTH_DB_PASSWORD", "north-secret-pw")
    config = write_deployment(tmp_path, {a: "", b: ""}, database=shared_db.url)
    text_ = config.read_text("utf-8").replace(
        f"[accounts.{a}]\n", f'[accounts.{a}]\ndatabase_password_env = "NORTH_DB_PASSWORD"\n'
    )
    config.write_text(text_, "utf-8")

    # Seeded through the real commands, on a database where neither role exists yet.
    for account, vendor in ((a, "Fjord"), (b, "Sahara")):
        csv = vendors_csv(tmp_path, vendor)
        code, out, err = run(capsys, config, "--account", account, "import", "vendors", str(csv))
        assert code == 0, out + err
    assert vendor_names(capsys, config, "--account", a) == ["Fjord"]
    assert vendor_names(capsys, config, "--account", b) == ["Sahara"]

    code, out, err = run(capsys, config, "accounts", "--json")
    assert code == 0, err
    listed = {x["name"]: x for x in json.loads(out)["accounts"]}
    assert listed[a]["schema"] == f"planner_{a}" and listed[b]["schema"] == f"planner_{b}"
    assert f"://planner_{a}:***@" in listed[a]["database"]
    assert "north-secret-pw" not in out + err

    deployment = Deployment.load(config, cwd=tmp_path)
    try:
        engine = deployment.app(a).engine  # logged in as account a's role, as its commands are
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == f"planner_{a}"
            assert conn.execute(text("SELECT count(*) FROM vendors")).scalar() == 1

        # Naming b's table: the schema is closed to a's role.
        with engine.connect() as conn, pytest.raises(ProgrammingError) as caught:
            conn.execute(text(f'SELECT * FROM "planner_{b}".vendors'))
        assert type(caught.value.orig).__name__ == "InsufficientPrivilege"
        assert "permission denied for schema" in str(caught.value.orig)

        # Putting b's schema on the search path: PostgreSQL leaves out a schema the role may not
        # use, so nothing is found there (no rows, and not even the table's existence).
        with engine.connect() as conn:
            conn.execute(text(f'SET search_path TO "planner_{b}"'))
            assert conn.execute(text("SELECT current_schemas(false)")).scalar() == []
            with pytest.raises(ProgrammingError) as caught:
                conn.execute(text("SELECT * FROM vendors"))
            assert type(caught.value.orig).__name__ == "UndefinedTable"

        # Becoming b's role, or leaving a table for b in the shared public schema: refused.
        with engine.connect() as conn, pytest.raises(ProgrammingError) as caught:
            conn.execute(text(f'SET ROLE "planner_{b}"'))
        assert type(caught.value.orig).__name__ == "InsufficientPrivilege"
        with engine.connect() as conn, pytest.raises(ProgrammingError) as caught:
            conn.execute(text("CREATE TABLE public.drop_box (x int)"))
        assert type(caught.value.orig).__name__ == "InsufficientPrivilege"
    finally:
        deployment.close()


@pytest.mark.postgres
def test_on_postgresql_db_upgrade_prepares_a_new_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_db: SharedDatabase
) -> None:
    a = f"west_{shared_db.suffix}"
    config = write_deployment(tmp_path, {a: ""}, database=shared_db.url)
    code, out, err = run(capsys, config, "--account", a, "db", "upgrade")
    assert code == 0, out + err
    assert f"planner_{a}" in out and "schema upgraded" in out
    code, out, err = run(capsys, config, "--account", a, "db", "upgrade")
    assert code == 0 and "already at" in out, out + err  # again: nothing to create


# -- planner serve: an account's scheduled jobs run for that account -------------------------------


def test_an_accounts_scheduled_jobs_run_for_that_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.bootstrap import daily_digest_job
    from planner.scheduler import DIGEST_JOB

    config = write_deployment(tmp_path, {"north": "", "south": ""})
    deployment = Deployment.load(config, cwd=tmp_path)
    try:
        scheduler = deployment.app("south").scheduler(str(config))  # `--account south serve`
        scheduler.start(paused=True)
        try:
            job = scheduler.get_job(DIGEST_JOB)
            assert job is not None
            args = list(job.args)
        finally:
            scheduler.shutdown(wait=False)
        assert args == [str(config), "south"]
        daily_digest_job(*args)  # as the scheduler calls it when due (it used to refuse: which
        # account?), and the run lands in south's history, not north's
        runs = {}
        for name in deployment.names:
            with deployment.app(name).uow() as uow:
                runs[name] = [r.trigger for r in uow.runs.list()]
        assert runs == {"north": [], "south": ["scheduler"]}
    finally:
        deployment.close()
