"""Exports people take elsewhere: the plan and the orders as CSV, a purchase order's document
for its vendor (xlsx and PDF), and the bot's `/planner order` sharing that PDF."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from bot_support import (
    VIEWER,
    Harness,
    confirm_button,
    fixture_bot,  # noqa: F401  (a fixture)
    fixture_standin,  # noqa: F401  (a fixture)
    texts,
    tick,
)
from cli_support import (
    fixture_console_config,  # noqa: F401  (a fixture)
    run,
)
from openpyxl import load_workbook
from pypdf import PdfReader

from planner.adapters.files import write_atomically
from planner.bootstrap import build_app
from planner.domain.errors import InvalidInput

VENDOR = "Société des Thés Øresund"
ADDRESS = ("Rue de l'Église 5", "75001 Paris", "France")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def order_value(config: Path, number: str) -> tuple[float, list[str]]:
    app = build_app(config)
    try:
        with app.uow() as uow:
            order = uow.orders.get(number)
            return round(order.value, 2), [line.sku for line in order.lines]
    finally:
        app.close()


def plans_kept(config: Path) -> int | None:
    app = build_app(config)
    try:
        with app.uow() as uow:
            plan = uow.plans.latest()
            return plan.id if plan else None
    finally:
        app.close()


# --- plan and orders as CSV ---------------------------------------------------------------------


def test_plan_csv_has_the_rows_the_plan_shows_with_their_numbers(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, config, "plan", "--json")
    assert code == 0, err
    rows = json.loads(out)
    path = config.parent / "plan.csv"

    code, out, err = run(capsys, config, "plan", "--all", "--csv", str(path))

    assert code == 0, err
    written = read_csv(path)
    transfers = [t for r in rows for t in r["transfers_in"]]
    # every row of --json, and each transfer it folds into its destination's row
    assert len(written) == len(rows) + len(transfers) and f"wrote {len(written)}" in out
    by_key = {r["key"]: r for r in written}
    for row in rows:
        line = by_key[row["key"]]
        assert int(line["to_order_qty"]) == row["to_order_qty"]
        assert float(line["unit_cost"]) == pytest.approx(row["unit_cost"])
        assert float(line["value"]) == pytest.approx(row["value"])
        assert line["currency"] == row["currency"] and line["urgency"] == row["urgency"]
    assert sum(r["kind"] == "transfer" for r in written) == len(transfers)

    code, out, err = run(capsys, config, "plan", "--csv", str(path))
    assert code == 0, err
    to_order = [r for r in rows if r["to_order_qty"] > 0] + [t for t in transfers if t["qty"] > 0]
    shown = read_csv(path)
    assert len(shown) == len(to_order) and all(int(r["to_order_qty"]) > 0 for r in shown)
    assert all(r["order_by"] for r in shown if r["urgency"] == "now")


def test_orders_csv_lists_what_the_same_filters_list(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config.parent / "orders.csv"
    for args in (["all", "--kind", "purchase"], ["open"], ["fba"]):
        code, out, err = run(capsys, config, "orders", *args, "--json")
        assert code == 0, err
        listed = json.loads(out)
        code, out, err = run(capsys, config, "orders", *args, "--csv", str(path))
        assert code == 0, err
        written = read_csv(path)
        assert [r["number"] for r in written] == [o["number"] for o in listed]
        for row, order in zip(written, listed, strict=True):
            assert (int(row["ordered"]), int(row["received"]), int(row["outstanding"])) == (
                order["ordered"],
                order["received"],
                order["outstanding"],
            )
            assert row["amazon_shipment_ids"].split() == order["amazon_shipment_ids"]
    po = next(r for r in read_csv(path) if r["number"] == "PO-1008")
    value, _ = order_value(config, "PO-1008")
    assert float(po["value"]) == value and po["currency"] == "USD"
    assert po["amazon_shipment"].startswith("FBA")  # the Amazon shipment it mirrors


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_text(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vendors = config.parent / "vendors.csv"
    vendors.write_text('name,currency\n"=HYPERLINK(""http://x"")",USD\n', "utf-8")
    code, _, err = run(capsys, config, "import", "vendors", str(vendors))
    assert code == 0, err
    code, _, err = run(
        capsys, config, "order", "set-source", "PO-1001", "--source",
        '=HYPERLINK("http://x")', "--replace",
    )  # fmt: skip
    assert code == 0, err
    path = config.parent / "orders.csv"

    code, _, err = run(capsys, config, "orders", "all", "--csv", str(path))

    assert code == 0, err
    row = next(r for r in read_csv(path) if r["number"] == "PO-1001")
    assert row["source"] == '\'=HYPERLINK("http://x")'
    assert not any(v.startswith(("=", "+", "@")) for r in read_csv(path) for v in r.values())


def test_an_unwritable_csv_path_is_refused_before_planning_and_leaves_no_file(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = plans_kept(config)
    target = config.parent / "no-such-folder" / "plan.csv"

    code, out, err = run(capsys, config, "plan", "--csv", str(target))

    assert code == 1 and "cannot write" in err and "no-such-folder" in err
    assert "Traceback" not in out + err and not target.parent.exists()
    assert plans_kept(config) == before  # nothing planned or kept
    code, _, err = run(capsys, config, "orders", "--csv", str(target))
    assert code == 1 and "does not exist" in err


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "inside.txt").write_text("kept", "utf-8")

    with pytest.raises(InvalidInput, match="cannot write"):
        write_atomically(folder, b"new")  # a folder cannot be replaced by a file

    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert (folder / "inside.txt").read_text("utf-8") == "kept"


# --- purchase order documents ------------------------------------------------------------------


def give_vendor_an_address(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A vendor with a non-ASCII name and an address, supplying PO-1001 (set up by CSV)."""
    path = config.parent / "vendors.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [["name", "currency", "address"], [VENDOR, "EUR", "\n".join(ADDRESS)]]
        )
    code, _, err = run(capsys, config, "import", "vendors", str(path))
    assert code == 0, err
    code, _, err = run(
        capsys, config, "order", "set-source", "PO-1001", "--source", VENDOR, "--replace"
    )
    assert code == 0, err


def test_vendor_address_imports_and_exports_back(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    give_vendor_an_address(config, capsys)
    code, out, err = run(capsys, config, "export", "vendors", "--out", "-")
    assert code == 0, err
    (row,) = [r for r in csv.DictReader(io.StringIO(out)) if r["name"] == VENDOR]
    assert row["address"].splitlines() == list(ADDRESS)


def xlsx_rows(path: Path) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in load_workbook(path).active.iter_rows(values_only=True)]


def test_po_documents_name_the_vendor_the_lines_and_the_total(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    give_vendor_an_address(config, capsys)
    value, skus = order_value(config, "PO-1001")
    xlsx, pdf = config.parent / "po.xlsx", config.parent / "po.pdf"

    code, out, err = run(
        capsys, config, "order", "export", "po-1001", "--xlsx", str(xlsx), "--pdf", str(pdf)
    )

    assert code == 0, err
    assert out.count("wrote PO-1001") == 2
    rows = xlsx_rows(xlsx)
    cells = [c for r in rows for c in r if c is not None]
    assert "Purchase order PO-1001" in cells and VENDOR in cells
    assert all(line in cells for line in ADDRESS)
    head = next(i for i, r in enumerate(rows) if r[0] == "SKU")
    total = next(i for i, r in enumerate(rows) if "Total" in r)
    lines = rows[head + 1 : total]
    assert [r[0] for r in lines] == skus
    assert rows[head][-1] == "Line total (EUR)"
    for r in lines:  # SKU, description, quantity, unit cost, line total
        assert r[-1] == pytest.approx(r[-3] * r[-2])
    assert rows[total][-1] == pytest.approx(sum(r[-1] for r in lines)) == pytest.approx(value)

    text = pdf_text(pdf.read_bytes())
    assert VENDOR in text and "PO-1001" in text and ADDRESS[0] in text
    assert all(sku in text for sku in skus) and f"{value:,.2f}" in text
    assert "IP-MAIN" in text and "address not set" in text  # the ship-to has no address


def test_the_vendors_own_sku_is_a_column_only_when_some_line_has_one(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xlsx = config.parent / "po.xlsx"
    code, _, err = run(capsys, config, "order", "export", "PO-1001", "--xlsx", str(xlsx))
    assert code == 0, err
    assert "Vendor SKU" not in [c for r in xlsx_rows(xlsx) for c in r]
    _, skus = order_value(config, "PO-1001")
    products = config.parent / "products.csv"
    products.write_text(f"sku,vendor_sku\n{skus[0]},DLT-77\n", "utf-8")
    code, _, err = run(capsys, config, "import", "products", str(products))
    assert code == 0, err

    code, _, err = run(capsys, config, "order", "export", "PO-1001", "--xlsx", str(xlsx))

    assert code == 0, err
    rows = xlsx_rows(xlsx)
    head = next(r for r in rows if r[0] == "SKU")
    assert head[1] == "Vendor SKU"
    assert next(r for r in rows if r[0] == skus[0])[1] == "DLT-77"


def test_transfers_unknown_orders_and_no_format_are_refused_without_a_file(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = config.parent / "doc.pdf"
    for args, says in (
        (["TO-1001", "--pdf", str(pdf)], "TO-1001 is a transfer order"),
        (["AO-1001", "--pdf", str(pdf)], "AO-1001 is an assembly order"),
        (["PO-9999", "--pdf", str(pdf)], "unknown order 'PO-9999'"),
        (["PO-1008", "--pdf", str(pdf)], "PO-1008 has no vendor"),
        (["PO-1001"], "say which document to write"),
        (["PO-1001", "--pdf", str(config.parent / "nope" / "x.pdf")], "does not exist"),
    ):
        code, out, err = run(capsys, config, "order", "export", *args)
        assert code == 1 and says in err, (args, err)
        assert "fix:" in err and "Traceback" not in out + err
    assert not pdf.exists()


# --- the bot ------------------------------------------------------------------------------------


def test_chat_order_shows_the_order_and_writes_its_pdf(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, config, "chat", "/planner order po-1001")

    assert code == 0, out + err
    assert "PO-1001 (purchase): open, Darjeeling Leaf Traders → IP-MAIN" in out
    assert "Darjeeling Leaf Traders" in out and "to come" in out
    pdf = config.parent / "documents" / "PO-1001.pdf"
    assert "PO-1001" in pdf_text(pdf.read_bytes()) and str(pdf) in out

    code, out, _ = run(capsys, config, "chat", "/planner order TO-1001")
    assert code == 0 and "Transfer orders have no PO document" in out
    assert not (config.parent / "documents" / "TO-1001.pdf").exists()


def uploaded_pdfs(bot: Harness, count: int) -> list[str]:
    bot.standin.wait_for(lambda: len(bot.standin.called("files.completeUploadExternal")) >= count)
    return [pdf_text(data) for data in bot.standin.uploads.values() if data.startswith(b"%PDF")]


def test_slack_order_shows_one_order_to_a_viewer_and_uploads_its_pdf(bot: Harness) -> None:
    (answer,) = bot.command("order PO-1001", user=VIEWER)

    assert answer["response_type"] == "ephemeral"
    assert "PO-1001: purchase order" in texts(answer) and "Darjeeling Leaf Traders" in texts(answer)
    (text,) = uploaded_pdfs(bot, 1)
    assert "PO-1001" in text and "Darjeeling Leaf Traders" in text
    done = bot.standin.called("files.completeUploadExternal")[0]
    assert done.params["channel_id"] == "C111" and "PO-1001" in done.params["initial_comment"]

    (missing,) = bot.command("order PO-9999", user=VIEWER)
    assert "PO-9999" in texts(missing)
    assert len(bot.standin.called("files.completeUploadExternal")) == 1


def test_approving_in_slack_shares_each_new_purchase_orders_pdf(bot: Harness) -> None:
    tick(bot.sheet, count=1, fba=False)
    before = set(bot.orders())
    (preview,) = bot.command("approve")
    confirm = confirm_button(preview)

    bot.click(confirm["action_id"], confirm["value"], wait=2)

    created = sorted(n for n, o in bot.orders().items() if n not in before)
    purchases = [n for n in created if bot.orders()[n].kind.value == "purchase"]
    assert purchases
    pdfs = uploaded_pdfs(bot, len(purchases))
    assert sorted(re.search(r"PO-\d+", t).group(0) for t in pdfs) == purchases  # type: ignore[union-attr]


def test_chat_approval_writes_the_new_purchase_orders_pdf(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tick(config.parent / "review.xlsx", count=1, fba=False)
    code, preview, _ = run(capsys, config, "chat", "/planner approve")
    press = re.search(r"planner chat (--press planner\.approve\.confirm --value '[^']+')", preview)
    assert code == 0 and press is not None

    code, done, _ = run(capsys, config, "chat", *shlex.split(press.group(1)))

    assert code == 0 and "created 1 order(s)" in done
    (pdf,) = (config.parent / "documents").glob("PO-*.pdf")
    assert pdf.stem in done and pdf.stem in pdf_text(pdf.read_bytes())
