"""One SKU's forecast per month as the plan uses it: before and after edits, and at the assembly
site, the demand its assemblies add (a component sells little itself but is used in kits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from planner.domain.errors import NotFound
from planner.domain.series import SeriesKey
from planner.engine.demand import dependent_demand  # the plan's own rule: the view cannot drift
from planner.ports import PlanWork
from planner.services.plan_arrays import bill_rows
from planner.services.plan_explain import moved_sentence
from planner.services.plan_inputs import Catalog, PlanningOptions
from planner.services.plan_series import edit_levels
from planner.services.planning import (
    PlanInputs,
    PlanRun,
    forecast_inputs,
    load_inputs,
    plan_from_forecast,
)


@dataclass(frozen=True, slots=True)
class AssemblyDemand:
    """Units of a component the plan expects one assembly to use, per month."""

    assembly: str
    per_assembly: float  # components in one assembly
    units: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class SeriesMonths:
    """One warehouse's forecast of the SKU per month: own, after edits, and what the plan uses."""

    warehouse: str
    method: str
    planned: bool  # the warehouse gets recommendations for the SKU
    members: tuple[str, ...]  # a combined warehouse: the members whose sales it sums
    planned_in: str | None  # a member planned through this combined warehouse
    network: bool  # an assembly at its site: planned for its demand in every warehouse
    before: tuple[float, ...]
    after: tuple[float, ...]  # after forecast edits
    used: tuple[float, ...]  # what the plan uses: after edits, plus dependent demand
    edited: tuple[bool, ...]
    from_assemblies: tuple[AssemblyDemand, ...]
    # Sales moved to a new level a few weeks ago (a Buy Box won or lost): new over old, and the
    # day it began; the forecast follows it (planner.forecast.shifts). 0.0 and None: no move.
    moved: float = 0.0
    moved_on: date | None = None

    @property
    def dependent(self) -> tuple[float, ...]:
        """Units per month the assemblies add (components at the assembly site)."""
        return tuple(sum(a.units[j] for a in self.from_assemblies) for j in range(len(self.used)))


@dataclass(frozen=True, slots=True)
class ForecastView:
    sku: str
    months: tuple[date, ...]
    series: tuple[SeriesMonths, ...]


def plan_afresh(
    uow: PlanWork, *, today: date, options: PlanningOptions
) -> tuple[PlanInputs, PlanRun]:
    """Forecast and plan as tonight would, keeping nothing (for views and charts)."""
    inputs = load_inputs(uow, today=today, options=options)
    return inputs, plan_from_forecast(inputs, forecast_inputs(inputs))


def forecast_view(
    uow: PlanWork,
    sku: str,
    *,
    warehouse: str | None,
    today: date,
    options: PlanningOptions,
    planned: tuple[PlanInputs, PlanRun] | None = None,
) -> ForecastView:
    """Plan as tonight would (or take ``planned``: that run), then show one SKU's months (in one
    warehouse, or every one)."""
    uow.variants.get(sku)  # a clear error for an unknown SKU
    inputs, run = planned or plan_afresh(uow, today=today, options=options)
    fc = run.forecast
    view, keys, cat = run.monthly, inputs.series.keys, inputs.cat
    rows = [
        i
        for i, k in enumerate(keys)
        if k.sku == sku and (warehouse is None or k.warehouse == warehouse)
    ]
    if view is None or not rows:
        raise NotFound(f"no forecast for {sku}" + (f" in {warehouse}" if warehouse else ""))
    # Dependent demand only sums rows with weights: on monthly totals it gives the plan's months.
    used, _ = dependent_demand(view.after, np.zeros(len(keys)), bill_rows(keys, cat))
    levels = edit_levels(keys, cat, inputs.series.planned)
    planned_in: dict[int, str] = {}
    for c, members in enumerate(levels.members):
        if levels.planned_level[c]:
            planned_in.update(
                {j: keys[c].warehouse for j in members if not levels.planned_level[j]}
            )
    moved_on = fc.moved_on()
    series = []
    for i in rows:
        code = keys[i].warehouse
        at_site = code == cat.assembly_warehouse
        series.append(
            SeriesMonths(
                warehouse=code,
                method=fc.method[i],
                planned=bool(inputs.series.planned[i]),
                members=tuple(keys[j].warehouse for j in levels.members[i]),
                planned_in=planned_in.get(i),
                network=at_site and sku in cat.boms,
                before=_floats(view.before[i]),
                after=_floats(view.after[i]),
                used=_floats(used[i]),
                edited=tuple(bool(x) for x in view.edited[i]),
                from_assemblies=_from_assemblies(sku, cat, keys, used) if at_site else (),
                moved=float(fc.moved[i]),
                moved_on=moved_on[i],
            )
        )
    return ForecastView(sku, tuple(view.months), tuple(series))


def _from_assemblies(
    sku: str, cat: Catalog, keys: list[SeriesKey], used: NDArray[np.float64]
) -> tuple[AssemblyDemand, ...]:
    """Each parent assembly's share of a component's demand at the site (as the plan adds it)."""
    index = {k: i for i, k in enumerate(keys)}
    out = []
    for parent, qty in sorted(cat.parents.get(sku, ())):
        row = index.get(SeriesKey(parent, cat.assembly_warehouse or ""))
        if row is not None:
            out.append(AssemblyDemand(parent, float(qty), _floats(qty * used[row])))
    return tuple(out)


def _floats(values: NDArray[np.float64]) -> tuple[float, ...]:
    return tuple(float(x) for x in values)


def month_table(
    s: SeriesMonths, months: list[str], *, assemblies: str = "of which from assemblies"
) -> tuple[list[str], list[list[str]]]:
    """One series' months as a table: the columns and the rows (the CLI's and Slack's)."""
    shows_use = s.network or bool(s.from_assemblies)
    columns = ["month", "forecast", "after edits"]
    columns += ["plan uses", assemblies] if shows_use else []
    rows = []
    for j, m in enumerate(months):
        row = [m, f"{s.before[j]:,.1f}", f"{s.after[j]:,.1f}"]
        if shows_use:
            row += [f"{s.used[j]:,.1f}", f"{s.dependent[j]:,.1f}"]
        rows.append([*row, "edited" if s.edited[j] else ""])
    return [*columns, ""], rows


def series_notes(s: SeriesMonths) -> list[str]:
    """Why a warehouse's numbers differ from its plain forecast, in words (CLI and Slack)."""
    notes = []
    if s.members:
        notes.append(f"{s.warehouse} is combined: it plans the demand of {', '.join(s.members)}.")
    elif not s.planned and not s.planned_in:
        notes.append(f"{s.warehouse} is not planned (not enabled).")
    if s.network:
        network = sum(s.used) - sum(s.dependent)
        notes.append(
            f"{s.warehouse} assembles this SKU: the plan uses its demand in every warehouse"
            f" ({network:,.0f} units over these months)."
        )
    if s.from_assemblies:
        total = sum(s.dependent)
        parts = ", ".join(f"{a.assembly} ×{a.per_assembly:g}" for a in s.from_assemblies)
        notes.append(
            f"{s.warehouse}: the plan uses {sum(s.used):,.0f} units over these months, "
            f"of which {total:,.0f} from assemblies {parts}."
        )
    if s.planned_in:
        notes.append(
            f"{s.warehouse} is planned in {s.planned_in}: edits naming no warehouse apply there."
        )
    if s.moved_on is not None:
        sentence = moved_sentence(s.moved, s.moved_on)
        notes.append(f"{s.warehouse}: {sentence[0].lower()}{sentence[1:]}")
    return notes
