"""Amazon's tab-separated report documents → plain rows of the port.

Columns are found by header name (Amazon adds, drops and reorders columns by marketplace and
over time), never by position. A row with the wrong number of fields, a missing required
column or a number that is not a number makes the whole document bad: nothing half-read is used.

Parsed by Amazon's rules, not Python's: fields are separated by tabs and lines end at `\n` or
`\r\n` only (a title may hold U+2028 or a form feed, which `str.splitlines` would split on); a
UTF-8 byte-order mark is dropped; the text is decoded with the charset the download declares
(Java names such as `Cp1252` and `Windows-31J` included); and localised headers (Japan's
listings report comes with Japanese headers) are read through known aliases.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from planner.adapters.amazon.errors import AmazonBadResponse
from planner.ports import ChannelListing, SoldLine

# Localised listings-report headers → Amazon's English names (as normalised below). Japan's
# report comes with Japanese headers unless preferredReportDocumentLocale is honoured
# (selling-partner-api-docs #2086, selling-partner-api-models #2293); China's with Chinese ones.
HEADER_ALIASES = {
    "商品名": "item-name",
    "商品の説明": "item-description",
    "出品id": "listing-id",
    "出品者sku": "seller-sku",
    "価格": "price",
    "数量": "quantity",
    "出品日": "open-date",
    "商品idタイプ": "product-id-type",
    "コンディション説明": "item-note",
    "コンディション": "item-condition",
    "asin-1": "asin1",
    "asin-2": "asin2",
    "asin-3": "asin3",
    "国外へ配送可": "will-ship-internationally",
    "迅速な配送": "expedited-shipping",
    "商品id": "product-id",
    "在庫数": "pending-quantity",
    "フルフィルメント・チャンネル": "fulfillment-channel",
    "ステータス": "status",
    "商品名称": "item-name",
    "商品描述": "item-description",
    "卖家-sku": "seller-sku",
    "价格": "price",
    "开售日期": "open-date",
    "配送渠道": "fulfillment-channel",
    "状态": "status",
}


def _normalise(name: str) -> str:
    key = name.strip().strip('"').strip().lower().replace(" ", "-").replace("_", "-")
    return HEADER_ALIASES.get(key, key)


def split_lines(text: str) -> list[str]:
    """Lines as Amazon ends them: at `\n`, with a `\r` before it dropped; nothing else splits."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


# Charset names Amazon declares (Java's) → Python codecs. Amazon's "Shift_JIS" documents hold
# Windows-31J characters (①, ～…), so both are read as cp932, its superset.
_CHARSETS = {
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "windows-31j": "cp932",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms932": "cp932",
    "cp932": "cp932",
    "utf8": "utf-8",
    "utf-8": "utf-8",
}
UTF8_BOM = b"\xef\xbb\xbf"


def declared_charset(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def decode_document(data: bytes, content_type: str, *, fallback: str = "cp1252") -> str:
    """A downloaded report as text: a UTF-8 BOM wins; else the declared charset; else UTF-8;
    else `fallback` (Windows-1252 for NA/EU files, cp932 for Japan's)."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :].decode("utf-8", errors="replace")
    declared = declared_charset(content_type)
    if declared is not None:
        codec = _CHARSETS.get(declared.lower(), declared)
        try:
            return data.decode(codec)
        except LookupError:
            pass  # a charset Python does not know: read it as if none were declared
        except UnicodeDecodeError:
            # Amazon's Cp1252 files hold the odd byte Windows-1252 leaves undefined.
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(_CHARSETS.get(fallback.lower(), fallback), errors="replace")


class Table:
    """A parsed flat file: rows as dicts keyed by normalised header names."""

    def __init__(self, text: str, report: str, *, required: Sequence[str]) -> None:
        self.report = report
        lines = split_lines(text.removeprefix("\ufeff"))
        if not lines or not lines[0].strip():
            raise AmazonBadResponse(f"{report}: the document is empty (no header line)")
        self.header = [_normalise(h) for h in lines[0].split("\t")]
        missing = [name for name in required if name not in self.header]
        if missing:
            raise AmazonBadResponse(f"{report}: no column {', '.join(missing)} in the header")
        self._lines = lines[1:]

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) of each data line, in header order."""
        width = len(self.header)
        for number, line in enumerate(self._lines, start=2):
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != width:
                raise AmazonBadResponse(
                    f"{self.report} line {number}: {len(fields)} fields where the header has "
                    f"{width} (a truncated or damaged file)"
                )
            yield number, fields

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Fields by header name; a name the header repeats keeps its first column."""
        for number, fields in self.records():
            row: dict[str, str] = {}
            for name, value in zip(self.header, fields, strict=True):
                row.setdefault(name, value)
            yield number, row


def _int(value: str, where: object, *, blank: int | None = 0) -> int | None:
    text = value.strip()
    if not text:
        return blank
    if text.isdigit():
        return int(text)
    try:
        return int(float(text))
    except ValueError:
        raise AmazonBadResponse(f"{where}: {value!r} is not a number") from None


def _float(value: str, where: object) -> float | None:
    text = value.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise AmazonBadResponse(f"{where}: {value!r} is not a number") from None


LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"


def parse_listings(text: str, marketplace_id: str) -> list[ChannelListing]:
    """All listings of one marketplace, any fulfilment channel, active or not."""
    table = Table(text, LISTINGS, required=("seller-sku", "fulfillment-channel"))
    out = []
    for number, row in table.rows():
        where = f"{LISTINGS} line {number}"
        sku = row["seller-sku"].strip()
        if not sku:
            raise AmazonBadResponse(f"{where}: no seller-sku")
        channel = row["fulfillment-channel"].strip().upper()
        fba = channel.startswith("AMAZON")
        out.append(
            ChannelListing(
                marketplace_id=marketplace_id,
                seller_sku=sku,
                asin=(row.get("asin1") or row.get("asin") or "").strip() or None,
                title=(row.get("item-name") or "").strip(),
                price=_float(row.get("price", ""), where),
                quantity=None if fba else _int(row.get("quantity", ""), where),
                fulfilled_by_amazon=fba,
                active=(row.get("status") or "Active").strip().lower() == "active",
            )
        )
    return out


ORDERS_BY_ORDER_DATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
ORDERS_BY_LAST_UPDATE = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
_ORDER_COLUMNS = (
    "amazon-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "sku",
    "quantity",
)


def parse_orders(text: str, report: str) -> list[SoldLine]:
    """Order lines; one (order, SKU) reported twice in a document is summed."""
    table = Table(text, report, required=_ORDER_COLUMNS)
    col: dict[str, int] = {}
    for i, name in enumerate(table.header):
        col.setdefault(name, i)
    at = [col[name] for name in _ORDER_COLUMNS]
    item_status, price, money = col.get("item-status"), col.get("item-price"), col.get("currency")
    merged: dict[tuple[str, str], SoldLine] = {}
    number = 1
    try:
        for number, fields in table.records():  # noqa: B007 (the error names the line)
            order_id, purchased, updated, status, channel, sales, sku, qty = [fields[i] for i in at]
            line = SoldLine(
                order_id=order_id.strip(),
                seller_sku=sku.strip(),
                sales_channel=sales.strip().lower(),
                purchased_at=_utc(datetime.fromisoformat(purchased.strip())),
                updated_at=_utc(datetime.fromisoformat(updated.strip())),
                order_status=status.strip(),
                item_status=fields[item_status].strip() if item_status is not None else "",
                fulfilled_by_amazon=channel.strip().lower() == "amazon",
                quantity=int(qty) if qty.isdigit() else int(float(qty or 0)),
                revenue=_price(fields[price]) if price is not None else 0.0,
                currency=fields[money].strip() if money is not None else "",
            )
            if not line.order_id or not line.seller_sku:
                raise ValueError("no amazon-order-id or sku")
            key = (line.order_id, line.seller_sku)
            if key in merged:
                before = merged[key]
                line = replace(
                    line,
                    quantity=before.quantity + line.quantity,
                    revenue=before.revenue + line.revenue,
                )
            merged[key] = line
    except ValueError as exc:
        raise AmazonBadResponse(f"{report} line {number}: {exc}") from None
    return list(merged.values())


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _price(value: str) -> float:
    text = value.strip()
    return float(text.replace(",", "")) if text else 0.0


def write_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A tab-separated document (the sandbox writes reports with this)."""
    buffer = io.StringIO()
    buffer.write("\t".join(header) + "\n")
    for row in rows:
        buffer.write("\t".join("" if v is None else str(v) for v in row) + "\n")
    return buffer.getvalue()
