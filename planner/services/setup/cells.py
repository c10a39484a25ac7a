"""Reading the cells people type in a settings tab or a CSV file into typed values.

Every reader raises `RowRefused` with a reason naming the column, which becomes the row's Status
(or the CSV's `line N:` message). An empty cell is None: it means "inherit".
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import pycountry

from planner.domain.errors import PlannerError
from planner.ports import Cell

YES = frozenset({"yes", "y", "true", "1", "x", "on"})
NO = frozenset({"no", "n", "false", "0", "off"})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RowRefused(PlannerError):
    """One row cannot be applied; the message says why (it goes on that row only)."""


def text(cell: Cell) -> str | None:
    """The cell as trimmed text; None when empty."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    value = str(cell).strip()
    return value or None


def whole(cell: Cell, column: str, *, minimum: int = 0, most: int = 1_000_000_000) -> int | None:
    """A whole number of at least ``minimum``; text, fractions and negatives are refused."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        raise RowRefused(f"{column} must be a whole number, not {text(cell)!r}")
    # An int is checked exactly: a huge one overflows a float.
    if isinstance(cell, int) and not minimum <= cell <= most:
        bound = f"at least {minimum}" if cell < minimum else f"at most {most:,}"
        raise RowRefused(f"{column} must be {bound}, not {text(cell)}")
    if isinstance(cell, int | float):
        number = float(cell)
    else:
        try:
            number = float(str(cell).strip().replace(",", ""))
        except ValueError:
            raise RowRefused(f"{column} must be a whole number, not {text(cell)!r}") from None
    if not math.isfinite(number) or not number.is_integer():
        raise RowRefused(f"{column} must be a whole number, not {text(cell)!r}")
    if number < minimum:
        raise RowRefused(f"{column} must be at least {minimum}, not {text(cell)}")
    if number > most:
        raise RowRefused(f"{column} must be at most {most:,}, not {text(cell)}")
    return int(number)


def amount(cell: Cell, column: str, *, positive: bool = False) -> float | None:
    """A non-negative decimal number (a cost, a value, a quantity per assembly)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        raise RowRefused(f"{column} must be a number, not {text(cell)!r}")
    try:
        number = float(cell if isinstance(cell, int | float) else str(cell).strip())
    except (TypeError, ValueError):
        raise RowRefused(f"{column} must be a number, not {text(cell)!r}") from None
    except OverflowError:  # a whole number beyond any float
        raise RowRefused(f"{column} {text(cell)} is out of range") from None
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise RowRefused(f"{column} must be {bound}, not {text(cell)}")
    return number


def flag(cell: Cell, column: str) -> bool | None:
    """yes/no (also true/false, 1/0, a ticked checkbox)."""
    if isinstance(cell, bool):
        return cell
    value = text(cell)
    if value is None:
        return None
    if value.casefold() in YES:
        return True
    if value.casefold() in NO:
        return False
    raise RowRefused(f"{column} must be yes or no, not {value!r}")


def choice(cell: Cell, column: str, allowed: tuple[str, ...]) -> str | None:
    """One of a fixed set of words (case-insensitive)."""
    value = text(cell)
    if value is None:
        return None
    for option in allowed:
        if value.casefold() == option.casefold():
            return option
    raise RowRefused(f"{column} must be one of {', '.join(allowed)}, not {value!r}")


def currency(cell: Cell, column: str = "currency") -> str | None:
    """An ISO 4217 currency code (EUR, USD, GBP, JPY …)."""
    value = text(cell)
    if value is None:
        return None
    code = value.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise RowRefused(f"{column} {value!r} is not an ISO 4217 currency code (EUR, USD, GBP…)")
    return code


def is_currency(code: str) -> bool:
    """Whether this is an ISO 4217 currency code."""
    return len(code) == 3 and pycountry.currencies.get(alpha_3=code.upper()) is not None


def email(cell: Cell, column: str = "email") -> str | None:
    value = text(cell)
    if value is not None and not EMAIL.match(value):
        raise RowRefused(f"{column} {value!r} is not an e-mail address")
    return value


def day(cell: Cell, column: str = "date") -> date:
    """A date as YYYY-MM-DD (or a spreadsheet date)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = text(cell)
    if value is None:
        raise RowRefused(f"{column} is empty")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowRefused(f"{column} must be a date as YYYY-MM-DD, not {value!r}") from None


def show(value: object) -> str:
    """A stored value as people see it in a message ("empty" for None: inherited, or none)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, tuple):  # combined_into: "NA-ALL, EU-ALL", not a Python tuple
        return ", ".join(show(v) for v in value) or "none"
    return str(value)
