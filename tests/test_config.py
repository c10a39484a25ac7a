"""planner.toml as people write it: defaults, overrides, secrets, messages that say what to fix."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cli_support import fixture_restore_logging  # noqa: F401  (a fixture)
from pydantic import SecretStr

from planner.config import EMBEDDED, Config, load_config
from planner.domain.errors import ConfigError
from planner.logging_setup import configure_logging

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"

SP_API = """
[amazon]
mode = "sp-api"
[[amazon.connections]]
name = "eu"
region = "EU"
marketplaces = ["UK", "DE"]
refresh_token_env = "EU_REFRESH_TOKEN"
"""
SP_API_SECRETS = {
    "SP_API_CLIENT_ID": "amzn1.application-oa2-client.abc123",
    "SP_API_CLIENT_SECRET": "client-secret-value-42",
    "EU_REFRESH_TOKEN": "Atzr|refresh-token-value-99",
}


def load(tmp_path: Path, toml: str, environ: dict[str, str] | None = None) -> Config:
    (tmp_path / "planner.toml").write_text(toml, encoding="utf-8")
    return load_config(None, cwd=tmp_path, environ=environ or {})


def problem_with(tmp_path: Path, toml: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, toml, environ)
    return str(caught.value)


def test_without_a_file_the_embedded_defaults_keep_everything_under_planner_data(
    tmp_path: Path,
) -> None:
    config = load_config(None, cwd=tmp_path, environ={})

    data_dir = tmp_path.resolve() / "planner-data"
    assert config.source == EMBEDDED
    assert config.paths.data_dir == data_dir
    assert config.database.url == f"sqlite:///{data_dir}/planner.db"
    assert config.logging.file == data_dir / "planner.log"
    assert config.sheets.path == data_dir / "review.xlsx"
    assert (config.amazon.mode, config.sheets.backend, config.slack.mode) == (
        "sandbox",
        "xlsx",
        "console",
    )
    assert [(c.name, c.region, c.marketplaces) for c in config.amazon.connections] == [
        ("amazon-na", "NA", ("US", "CA", "MX")),
        ("amazon-eu", "EU", ("GB", "DE", "FR", "IT", "ES")),
    ]
    assert config.planning.lead_time_days == 30
    assert config.planning.service_level == 0.95
    assert config.schedule.sync_cron == "0 5 * * *"
    assert config.secret_values() == []


def test_planner_toml_in_the_working_directory_is_picked_up(tmp_path: Path) -> None:
    config = load(tmp_path, '[planning]\nlead_time_days = 45\n[paths]\ndata_dir = "data"\n')

    assert config.source == "planner.toml"
    assert config.planning.lead_time_days == 45
    assert config.database.url == f"sqlite:///{tmp_path.resolve()}/data/planner.db"


def test_example_config_loads_with_no_secrets_and_equals_the_defaults(tmp_path: Path) -> None:
    example = load_config(EXAMPLE, cwd=tmp_path, environ={})
    defaults = load_config(None, cwd=tmp_path, environ={})

    assert example.source == str(EXAMPLE)
    assert example.model_copy(update={"source": EMBEDDED}) == defaults


def test_example_config_loads_by_its_relative_name_from_the_repo_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(EXAMPLE.parent)
    assert load_config("config.example.toml").amazon.mode == "sandbox"


def test_relative_paths_are_resolved_against_the_working_directory(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[database]\nurl = "sqlite:///db/p.db"\n[logging]\nfile = "logs/p.log"\n'
        '[sheets]\npath = "~/review.xlsx"\n',
    )

    assert config.database.url == f"sqlite:///{tmp_path.resolve()}/db/p.db"
    assert config.logging.file == tmp_path.resolve() / "logs" / "p.log"
    assert config.sheets.path == Path.home() / "review.xlsx"


def test_choices_are_case_insensitive_and_marketplaces_normalised(tmp_path: Path) -> None:
    toml = SP_API.replace('"EU"', '"eu"') + '[logging]\nlevel = "debug"\n'
    config = load(tmp_path, toml, SP_API_SECRETS)

    connection = config.amazon.connection("EU")
    assert connection.region == "EU"
    assert connection.marketplaces == ("GB", "DE")
    assert connection.marketplace_ids == ("A1F83G8C2ARO7P", "A1PA6795UKMFR9")
    assert config.logging.level == "DEBUG"


def test_lead_time_spread_per_vendor_reaches_the_planning_options(tmp_path: Path) -> None:
    from planner.bootstrap import App

    config = load(
        tmp_path,
        "[planning]\nlead_time_std_days = 2\n"
        '[planning.vendor_lead_time_std_days]\n"Nordic Glassworks" = 6.5\n',
    )
    options = App(config).planning_options()
    assert options.lead_time_std("Nordic Glassworks") == 6.5
    assert options.lead_time_std("Acme") == options.lead_time_std(None) == 2


def test_every_planning_key_reaches_the_planning_options_under_its_name(tmp_path: Path) -> None:
    from dataclasses import asdict

    from planner.config.options import planning_options, setup_options

    config = load(
        tmp_path,
        "[planning]\nlead_time_days = 21\ndays_of_stock = 45\nservice_level = 0.9\n"
        'service_measure = "fill_rate"\nignore_unreceived_fba_after_days = "never"\n'
        "history_days = 400\ntransfer_lead_time_days = 4\nmax_cover_days = 200\n"
        'assembly_warehouse = "IP-MAIN"\nlead_time_std_days = 1.5\ncurrency = "EUR"\n'
        '[planning.fx_rates]\nUSD = 0.9\n[planning.vendor_lead_time_std_days]\n"Acme" = 3\n',
    )
    settings = config.planning.model_dump()
    assert settings.keys() == config.planning.model_fields_set  # the test sets every key
    options = asdict(planning_options(config.planning))
    assert {k: options[k] for k in settings} == settings
    assert setup_options(config.planning).currency == "EUR"


def test_never_ignore_unreceived_fba_shipments(tmp_path: Path) -> None:
    config = load(tmp_path, '[planning]\nignore_unreceived_fba_after_days = "never"\n')
    assert config.planning.ignore_unreceived_fba_after_days is None


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        pytest.param(
            '[sheets]\nbacknd = "google"\n',
            "planner.toml: sheets.backnd: unknown key (did you mean 'backend'?)",
            id="typo-suggests-closest-key",
        ),
        pytest.param(
            "[planing]\nlead_time_days = 3\n",
            "planner.toml: planing: unknown key (did you mean 'planning'?)",
            id="typo-in-section",
        ),
        pytest.param(
            "lead_time_days = 3\n",
            "planner.toml: lead_time_days: unknown key (it belongs in [planning])",
            id="key-in-wrong-section",
        ),
        pytest.param(
            '[planning]\nlead_time_days = "thirty"\n',
            "planner.toml: planning.lead_time_days: expected a whole number, got 'thirty'",
            id="wrong-type",
        ),
        pytest.param(
            "[planning]\nservice_level = 1.2\n",
            "planner.toml: planning.service_level: must be less than 1",
            id="out-of-range",
        ),
        pytest.param(
            '[slack]\nmode = "email"\n',
            "planner.toml: slack.mode: expected 'console', 'http' or 'socket', got 'email'",
            id="bad-choice",
        ),
        pytest.param(
            SP_API.replace('["UK", "DE"]', '["UK", "US"]'),
            "planner.toml: amazon.connections[eu].marketplaces: 'US' is in region NA, not EU",
            id="marketplace-in-wrong-region",
        ),
        pytest.param(
            SP_API.replace('["UK", "DE"]', '["UK", "XX"]'),
            "planner.toml: amazon.connections[eu].marketplaces: unknown Amazon marketplace 'XX'",
            id="unknown-marketplace",
        ),
        pytest.param(
            SP_API + SP_API[SP_API.index("[[") :],
            "planner.toml: amazon.connections: two connections are named 'eu'",
            id="duplicate-connection-names",
        ),
        pytest.param(
            '[amazon]\nmode = "sp-api"\n',
            "planner.toml: amazon.connections: missing: mode = 'sp-api' needs at least one",
            id="sp-api-without-connections",
        ),
        pytest.param(
            '[schedule]\ntimezone = "Mars/Olympus"\n',
            "planner.toml: schedule.timezone: unknown time zone 'Mars/Olympus'",
            id="bad-timezone",
        ),
        pytest.param(
            '[schedule]\nsync_cron = "0 5 * *"\n',
            "planner.toml: schedule.sync_cron: not a cron expression (Wrong number of fields",
            id="bad-cron",
        ),
        pytest.param(
            '[slack.roles]\napprovers = ["@alice"]\n',
            "planner.toml: slack.roles.approvers[#1]: expected a Slack user id",
            id="bad-slack-id",
        ),
        pytest.param(
            '[sheets]\nbackend = "google"\nspreadsheet_key = "abc"\n',
            "planner.toml: sheets.service_account_file: missing: backend = 'google' needs",
            id="google-without-service-account",
        ),
        pytest.param(
            '[sheets]\nbackend = "google"\nspreadsheet_key = "k"\n'
            'service_account_file = "sa.json"\n',
            "planner.toml: sheets.service_account_file: file not found:",
            id="google-service-account-file-missing",
        ),
        pytest.param(
            '[planning.vendor_lead_time_std_days]\n"Acme" = -3\n',
            "planner.toml: planning.vendor_lead_time_std_days.Acme: must be at least 0",
            id="negative-lead-time-spread",
        ),
        pytest.param(
            '[database]\nurl = "not a url"\n',
            "planner.toml: database.url: not a database URL",
            id="bad-database-url",
        ),
    ],
)
def test_a_bad_config_is_refused_with_the_key_and_the_fix(
    tmp_path: Path, toml: str, expected: str
) -> None:
    assert expected in problem_with(tmp_path, toml, SP_API_SECRETS)


def test_every_problem_is_reported_at_once_one_per_line(tmp_path: Path) -> None:
    message = problem_with(tmp_path, "[planning]\nlead_time_days = -1\n[slack]\nprt = 3000\n")

    lines = message.splitlines()
    assert "planner.toml: planning.lead_time_days: must be at least 0, got -1" in lines
    assert "planner.toml: slack.prt: unknown key (did you mean 'port'?)" in lines


def test_missing_secret_names_the_variable_and_the_key(tmp_path: Path) -> None:
    environ = {k: v for k, v in SP_API_SECRETS.items() if k != "EU_REFRESH_TOKEN"}
    message = problem_with(tmp_path, SP_API, environ)

    assert (
        "planner.toml: [[amazon.connections]] 'eu' refresh_token_env names EU_REFRESH_TOKEN,"
        " which is not set" in message
    )
    assert "export EU_REFRESH_TOKEN=… or change amazon.connections[eu].refresh_token_env" in message
    assert SP_API_SECRETS["SP_API_CLIENT_SECRET"] not in message


@pytest.mark.parametrize(
    ("mode", "needed"),
    [
        ("http", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]),
        ("socket", ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]),
    ],
)
def test_slack_modes_need_their_tokens(tmp_path: Path, mode: str, needed: list[str]) -> None:
    message = problem_with(tmp_path, f'[slack]\nmode = "{mode}"\n')

    assert "planner.toml: [slack] bot_token_env names SLACK_BOT_TOKEN, which is not set" in message
    for variable in needed:
        assert f"export {variable}=…" in message
    assert len(message.splitlines()) == len(needed) + 1  # plus the footer


def test_secrets_come_from_the_environment_and_never_show(tmp_path: Path) -> None:
    environ = {**SP_API_SECRETS, "SLACK_BOT_TOKEN": "xoxb-1-2-bot", "SLACK_APP_TOKEN": "xapp-1-a"}
    config = load(tmp_path, SP_API + '[slack]\nmode = "socket"\n', environ)

    assert isinstance(config.amazon.client_secret, SecretStr)
    assert config.amazon.client_secret.get_secret_value() == "client-secret-value-42"
    token = config.amazon.connection("eu").refresh_token
    assert token is not None and token.get_secret_value() == "Atzr|refresh-token-value-99"
    assert config.slack.signing_secret is None  # set nowhere, needed only in http mode
    assert sorted(config.secret_values()) == sorted(
        [*SP_API_SECRETS.values(), "xoxb-1-2-bot", "xapp-1-a"]
    )
    shown = repr(config) + str(config) + repr(config.model_dump())
    for secret in config.secret_values():
        assert secret not in shown


def test_a_secret_written_into_the_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    message = problem_with(
        tmp_path,
        '[amazon]\nclient_secret = "s3cr3t-value"\n[slack]\nbot_token_env = "xoxb-123-456"\n',
    )

    assert "planner.toml: amazon.client_secret: unknown key: secrets are never read" in message
    assert "planner.toml: slack.bot_token_env: expected the NAME of an environment" in message
    assert "s3cr3t-value" not in message
    assert "xoxb-123-456" not in message


def test_database_password_is_masked_and_redacted(tmp_path: Path) -> None:
    config = load(
        tmp_path, '[database]\nurl = "postgresql+psycopg://planner:pw-12345@db/planner"\n'
    )

    assert "pw-12345" not in repr(config)
    assert config.secret_values() == ["pw-12345"]


def test_planner_log_level_overrides_the_file(tmp_path: Path) -> None:
    config = load(tmp_path, '[logging]\nlevel = "ERROR"\n', {"PLANNER_LOG_LEVEL": "debug"})
    assert config.logging.level == "DEBUG"

    message = problem_with(tmp_path, "", {"PLANNER_LOG_LEVEL": "loud"})
    assert "PLANNER_LOG_LEVEL: expected one of 'DEBUG', 'INFO', 'WARNING', 'ERROR'" in message


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    message = problem_with(tmp_path, "[planning]\nlead_time_days = 30\nservice_level = = 1\n")
    assert message.startswith("planner.toml: line 3, column 17: invalid TOML")


def test_an_explicit_file_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("nowhere.toml", cwd=tmp_path, environ={})
    assert str(caught.value).startswith("nowhere.toml: config file not found")


@pytest.mark.usefixtures("restore_logging")
def test_logs_never_show_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_file = tmp_path / "logs" / "planner.log"
    configure_logging("INFO", log_file=log_file, secrets=["Atzr|refresh-99", ""])
    configure_logging("INFO", log_file=log_file, secrets=["Atzr|refresh-99", "hunter2-secret"])

    log = logging.getLogger("planner.test")
    log.info("token %s and slack %s", "hunter2-secret", "xoxb-111-222-abc")
    log.warning("header Authorization: Bearer abc.def.ghi")
    log.debug("not shown at INFO")
    try:
        raise RuntimeError("failed with Atzr|refresh-99")
    except RuntimeError:
        log.exception("sync failed")

    stderr = capsys.readouterr().err
    written = log_file.read_text(encoding="utf-8")
    assert "INFO planner.test: token *** and slack ***" in written
    assert "failed with ***" in written  # the traceback: in the file only
    for output in (stderr, written):
        assert "Bearer ***" in output
        for secret in ("hunter2-secret", "xoxb-111", "abc.def.ghi", "refresh-99"):
            assert secret not in output
        assert "not shown at INFO" not in output
    assert stderr.count("Bearer ***") == 1  # configuring twice did not double the handlers
    assert written.splitlines()[0][:4].isdigit()  # file lines start with a timestamp


@pytest.mark.usefixtures("restore_logging")
def test_noisy_libraries_are_quiet_unless_debugging() -> None:
    configure_logging("INFO", log_file=None, secrets=[])
    assert logging.getLogger("urllib3").getEffectiveLevel() == logging.WARNING

    configure_logging("DEBUG", log_file=None, secrets=[])
    assert logging.getLogger("urllib3").getEffectiveLevel() == logging.DEBUG
