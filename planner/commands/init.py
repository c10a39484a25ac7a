"""`planner init`: write a planner.toml by asking (or from flags), check it, say what is next."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click

from planner.cli import State, cli, out, pass_state
from planner.config import CONFIG_FILE_NAME, DEFAULT_DATA_DIR, Config, load_config
from planner.domain.errors import ConfigError, PlannerError

# Stands in for each secret while the file's structure is checked: init never needs the
# secrets themselves, and says afterwards which variables are still to be exported.
PLACEHOLDER = "set-by-planner-init-check"
AMAZON, REGIONS = ("sandbox", "sp-api"), ("NA", "EU", "FE")
SHEETS, SLACK = ("xlsx", "google"), ("console", "http", "socket")


@dataclass(frozen=True, slots=True)
class Answers:
    """What `planner init` writes; one field per question."""

    data_dir: str = DEFAULT_DATA_DIR
    database_url: str = ""
    amazon: str = "sandbox"
    connection: str = "amazon-na"
    region: str = "NA"
    marketplaces: tuple[str, ...] = ("US",)
    client_id_env: str = "SP_API_CLIENT_ID"
    client_secret_env: str = "SP_API_CLIENT_SECRET"
    refresh_token_env: str = "SP_API_REFRESH_TOKEN_NA"
    sheets: str = "xlsx"
    spreadsheet_key: str = ""
    service_account_file: str = ""
    share_with: tuple[str, ...] = ()
    slack: str = "console"
    digest_channel: str = "#inventory"
    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    app_token_env: str = "SLACK_APP_TOKEN"
    port: int = 3000
    timezone: str = "UTC"

    def secret_variables(self) -> list[str]:
        """The environment variables this configuration reads secrets from."""
        return [
            self.client_id_env,
            self.client_secret_env,
            self.refresh_token_env,
            self.bot_token_env,
            self.signing_secret_env,
            self.app_token_env,
        ]


# How a question is put: (question, default, choices) -> the answer.
Ask = Callable[[str, Any, tuple[str, ...] | None], Any]


def _always(a: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Question:
    name: str  # the Answers field, and the flag (--name with dashes)
    text: str
    when: Callable[[dict[str, Any]], bool] = _always
    choices: tuple[str, ...] | None = None


def _real(a: dict[str, Any]) -> bool:
    return bool(a["amazon"] == "sp-api")


def _google(a: dict[str, Any]) -> bool:
    return bool(a["sheets"] == "google")


def _bot(a: dict[str, Any]) -> bool:
    return bool(a["slack"] != "console")


QUESTIONS: tuple[Question, ...] = (
    Question("data_dir", "Data directory (SQLite database, log, review workbook)"),
    Question("database_url", "Database URL (empty: SQLite in the data directory)"),
    Question("amazon", "Amazon: the built-in sandbox or the real SP-API", choices=AMAZON),
    Question("region", "SP-API region of the seller account", _real, REGIONS),
    Question("connection", "A name for this connection (account + region)", _real),
    Question("marketplaces", "Its marketplaces (country codes, comma-separated)", _real),
    Question("client_id_env", "Variable holding the LWA client id", _real),
    Question("client_secret_env", "Variable holding the LWA client secret", _real),
    Question("refresh_token_env", "Variable holding the LWA refresh token", _real),
    Question("sheets", "Review sheet: a local .xlsx workbook or a Google Sheet", choices=SHEETS),
    Question("spreadsheet_key", "Spreadsheet key (from its URL: /spreadsheets/d/<key>/)", _google),
    Question("service_account_file", "Service account JSON key file", _google),
    Question(
        "share_with", "Share the sheet with (e-mails, comma-separated; may be empty)", _google
    ),
    Question("slack", "Slack: console (the terminal), http or socket", choices=SLACK),
    Question("digest_channel", "Channel for the daily digest", _bot),
    Question("bot_token_env", "Variable holding the bot token (xoxb-…)", _bot),
    Question(
        "signing_secret_env", "Variable holding the signing secret", lambda a: a["slack"] == "http"
    ),
    Question(
        "app_token_env",
        "Variable holding the app-level token (xapp-…)",
        lambda a: a["slack"] == "socket",
    ),
    Question("port", "Port `planner serve` answers Slack on", lambda a: a["slack"] == "http"),
    Question("timezone", "Time zone of the daily schedule (IANA name, e.g. Europe/Berlin)"),
)


DERIVED: dict[str, Callable[[str], str]] = {
    "connection": lambda region: f"amazon-{region.lower()}",
    "refresh_token_env": lambda region: f"SP_API_REFRESH_TOKEN_{region}",
}


def collect(given: Mapping[str, Any], ask: Ask) -> Answers:
    """The answers in question order: a flag wins, else the question is asked."""
    answers: dict[str, Any] = asdict(Answers())
    for q in QUESTIONS:
        value = given.get(q.name)
        flagged = value not in (None, ())
        if not flagged and not q.when(answers):
            continue  # a question that does not apply; a flag given for it is still kept
        if q.name in DERIVED:  # named after the region, unless told otherwise
            answers[q.name] = DERIVED[q.name](answers["region"])
        if not flagged:
            default = answers[q.name]
            shown = ",".join(default) if isinstance(default, tuple) else default
            value = ask(q.text, shown, q.choices)
        answers[q.name] = _normal(q.name, value)
    return Answers(**answers)


def _normal(name: str, value: Any) -> Any:
    if name in ("marketplaces", "share_with"):
        return _codes(value, upper=name == "marketplaces")
    if name == "port":
        return int(value)
    if name == "region":
        return str(value).upper()
    return value.strip() if isinstance(value, str) else value


def _codes(value: Any, *, upper: bool = True) -> tuple[str, ...]:
    """Items typed comma-separated, or given as repeated flags (or both)."""
    given = value if isinstance(value, list | tuple) else [value or ""]
    items = (i.strip() for text in given for i in str(text).split(","))
    return tuple((i.upper() if upper else i) for i in items if i)


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


def render(a: Answers) -> str:
    """planner.toml for these answers, commented like config.example.toml."""
    db = f"url = {_q(a.database_url)}" if a.database_url else "# url: SQLite in data_dir"
    lines = [
        "# planner configuration, written by `planner init`. Every key is explained in",
        "# config.example.toml. Secrets are not in this file: the *_env keys name the",
        "# environment variables that hold them.",
        "",
        "[paths]",
        f"data_dir = {_q(a.data_dir)}",
        "",
        "[database]",
        db,
        "",
        "[amazon]",
        '# "sandbox": the built-in Amazon stand-in; "sp-api": the real Selling Partner API.',
        f"mode = {_q(a.amazon)}",
        *_amazon(a),
        "",
        "[sheets]",
        f"backend = {_q(a.sheets)}",
        *_sheets(a),
        "",
        "[slack]",
        f"mode = {_q(a.slack)}",
        f"digest_channel = {_q(a.digest_channel)}",
        f"bot_token_env = {_q(a.bot_token_env)}",
        f"signing_secret_env = {_q(a.signing_secret_env)}",
        f"app_token_env = {_q(a.app_token_env)}",
        f"port = {a.port}",
        "",
        "[schedule]",
        f"timezone = {_q(a.timezone)}",
        "",
    ]
    return "\n".join(lines)


def _amazon(a: Answers) -> list[str]:
    head = [
        f"client_id_env = {_q(a.client_id_env)}",
        f"client_secret_env = {_q(a.client_secret_env)}",
    ]
    if a.amazon != "sp-api":
        # The sandbox serves its own two demo accounts; a real account's table would not match.
        return [*head, "# [[amazon.connections]]: one table per seller account (sp-api mode)."]
    return [
        *head,
        "",
        "[[amazon.connections]]",
        f"name = {_q(a.connection)}",
        f"region = {_q(a.region)}",
        f"marketplaces = {_list(a.marketplaces)}",
        f"refresh_token_env = {_q(a.refresh_token_env)}",
        'inbound_order_type = "purchase"',
    ]


def _sheets(a: Answers) -> list[str]:
    if a.sheets != "google":
        return ["# path: the workbook, default <data_dir>/review.xlsx"]
    return [
        f"spreadsheet_key = {_q(a.spreadsheet_key)}",
        f"service_account_file = {_q(a.service_account_file)}",
        f"share_with = {_list(a.share_with)}",
    ]


def write_checked(target: Path, text: str, answers: Answers, *, cwd: Path) -> Config:
    """Write the file only if the config loader accepts it (secrets stood in for)."""
    tmp = target.with_name(f".{target.name}.new")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    stand_ins = {name: PLACEHOLDER for name in answers.secret_variables()}
    try:
        config = load_config(tmp, cwd=cwd, environ=stand_ins)
    except ConfigError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            exc.message.replace(str(tmp), str(target)),
            hint=exc.hint or "answer again, or pass the right flag; nothing was written",
        ) from None
    os.replace(tmp, target)
    return config


def still_to_do(target: Path, *, cwd: Path) -> str | None:
    """What the environment still lacks (unset secret variables), as the loader says it."""
    try:
        load_config(target, cwd=cwd)
    except ConfigError as exc:
        return exc.message
    return None


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One flag per question, so `planner init --yes --amazon sp-api …` asks nothing."""
    for q in reversed(QUESTIONS):
        kind: click.ParamType | None = (
            click.Choice(q.choices, case_sensitive=False) if q.choices else None
        )
        if q.name == "port":
            kind = click.IntRange(1, 65535)
        multiple = q.name in ("marketplaces", "share_with")
        command = click.option(
            _flag(q.name), q.name, type=kind, multiple=multiple, default=None, help=q.text + "."
        )(command)
    return command


@cli.command("init")
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@click.option(
    "--yes",
    "-y",
    "--non-interactive",
    "yes",
    is_flag=True,
    help="Ask nothing: take the flags given and the defaults for the rest.",
)
@_options
@pass_state
def init_cmd(state: State, force: bool, yes: bool, **given: Any) -> None:
    """Write planner.toml (or --config PATH): database, Amazon, review sheet, Slack."""
    cwd = Path.cwd()
    target = state.config_path or Path(CONFIG_FILE_NAME)
    target = target if target.is_absolute() else cwd / target
    if target.exists() and not force:
        raise PlannerError(
            f"{target} already exists; nothing was changed",
            hint="add --force to overwrite it, or edit it by hand (config.example.toml explains "
            "every key)",
        )

    def ask(question: str, default: Any, choices: tuple[str, ...] | None) -> Any:
        if yes:
            return default
        kind = click.Choice(choices, case_sensitive=False) if choices else None
        return click.prompt(question, default=default, type=kind, show_default=True)

    answers = collect(given, ask)
    config = write_checked(target, render(answers), answers, cwd=cwd)
    out.print(f"wrote {target} (checked: the configuration loads)")
    for line in next_steps(answers, config, missing=still_to_do(target, cwd=cwd)):
        out.print(line, soft_wrap=True, markup=False)


def next_steps(a: Answers, config: Config, *, missing: str | None) -> list[str]:
    """What to do after init, in the order the README's walkthrough does it."""
    steps = ["Next:"]
    if missing:
        steps.append("  - not set yet in this shell (export them before running planner):")
        steps += [f"      {line}" for line in missing.splitlines() if line.strip()]
    if a.database_url.startswith("postgres"):
        steps.append("  - create the schema: planner db upgrade")
    if a.amazon == "sp-api":
        steps.append(
            f"  - export {a.client_id_env}, {a.client_secret_env} (your SP-API app's LWA "
            f"credentials) and {a.refresh_token_env} (the seller's refresh token); then "
            "`planner amazon check` and `planner sync` (the first sync reads two years)"
        )
    if a.sheets == "google":
        steps.append(
            f"  - share the spreadsheet with the service account {_account(a)} as an editor; "
            "then `planner publish`"
        )
    if a.slack != "console":
        steps.append(
            "  - create the Slack app from slack-app-manifest.yaml (replace planner.example.com "
            f"with the public address of `planner serve`), install it, export {a.bot_token_env} "
            f"and {a.signing_secret_env if a.slack == 'http' else a.app_token_env}"
        )
    steps.append(
        f"  - `planner run` runs the daily cycle once; `planner serve` runs it every day "
        f"({config.schedule.sync_cron} {config.schedule.timezone}) and answers Slack"
    )
    return steps


def _account(a: Answers) -> str:
    """The service account's e-mail from its key file (people share the sheet with it)."""
    try:
        key = json.loads(Path(a.service_account_file).expanduser().read_text(encoding="utf-8"))
        return str(key.get("client_email") or "(client_email in the key file)")
    except (OSError, ValueError, AttributeError):
        return "(client_email in the key file)"
