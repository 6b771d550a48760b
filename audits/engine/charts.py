"""The emissions chart: cumulative kg CO2 by month for the top factories of each sector."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from .summary import AuditOutcome, FactoryOutcome

MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _top_factories(outcome: AuditOutcome, top_per_sector: int) -> dict[str, list[FactoryOutcome]]:
    """Each sector's largest emitters, largest first (ties by factory_id), sectors by name."""
    if not len(outcome) or top_per_sector <= 0:
        return {}
    # From the outcome's columns: numpy finds each sector's few candidates (the top
    # totals, and any factory tied with the last of them); only those are ranked, and
    # only the ones charted are made FactoryOutcome objects.
    totals = np.asarray(outcome.column("total_emissions_kg"), dtype=np.float64)
    totals = np.where(np.isnan(totals), -np.inf, totals)
    ids = outcome.column("factory_id")
    codes, sectors = pd.factorize(np.array(outcome.column("sector"), dtype=object))
    top: dict[str, list[FactoryOutcome]] = {}
    for code, sector in enumerate(sectors):
        members = np.flatnonzero(codes == code)
        if len(members) > top_per_sector:
            member_totals = totals[members]
            cut = len(members) - top_per_sector
            last_total = np.partition(member_totals, cut)[cut]
            members = members[member_totals >= last_total]
        ranked = sorted(members.tolist(), key=lambda index: (-totals[index], ids[index]))
        top[sector] = [outcome.factories[index] for index in ranked[:top_per_sector]]
    return dict(sorted(top.items()))


def _sector_cap(members: list[FactoryOutcome]) -> float:
    """The cap most of the sector's plotted factories share."""
    return Counter(f.carbon_cap_kg for f in members).most_common(1)[0][0]


def cumulative_series(outcome: AuditOutcome, top_per_sector: int = 4) -> dict[str, Any]:
    """The chart's data as plain lists (cumulative kg per month, None before the first month)."""
    sectors: dict[str, Any] = {}
    for sector, members in _top_factories(outcome, top_per_sector).items():
        sectors[sector] = {
            "carbon_cap_kg": _sector_cap(members),
            "factories": [
                {
                    "factory_id": f.factory_id,
                    "factory_name": f.factory_name,
                    "status": f.status,
                    "total_emissions_kg": f.total_emissions_kg,
                    "cumulative_kg": list(f.cumulative_emissions_kg()),
                }
                for f in members
            ],
        }
    return {
        "year": outcome.year,
        "months": list(range(1, 13)),
        "month_labels": list(MONTH_LABELS),
        "sectors": sectors,
    }


def _millions(value: float, _position: float) -> str:
    if value == 0:
        return "0"
    return f"{value / 1e6:,.0f}M" if abs(value) >= 1e6 else f"{value / 1e3:,.0f}k"


def preload() -> None:
    """Import matplotlib and load its fonts now (about a second), not in the first audit."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(1, 1), dpi=20)
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, "0")
    figure.savefig(io.BytesIO(), format="png")


def render_emissions_chart(
    outcome: AuditOutcome, path: str | os.PathLike[str], *, top_per_sector: int = 4
) -> None:
    """Write a PNG: one panel per sector, the top factories' cumulative emissions by month
    and the sector's cap as a dashed line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    data = cumulative_series(outcome, top_per_sector)
    sectors = data["sectors"]
    panels = max(len(sectors), 1)
    width_in = 5.2 * panels
    figure = Figure(figsize=(width_in, 5.2), dpi=110)
    # Fixed margins (in inches, so one panel or three look alike) instead of the
    # constrained layout, whose text measuring passes doubled the drawing time.
    figure.subplots_adjust(
        left=0.85 / width_in, right=1 - 0.1 / width_in, bottom=0.12, top=0.88, wspace=0.3
    )
    FigureCanvasAgg(figure)  # the Agg (PNG) backend, without touching pyplot's global state
    axes = figure.subplots(1, panels, squeeze=False)[0]
    months = data["months"]
    for axis, (sector, series) in zip(axes, sectors.items(), strict=False):
        for factory in series["factories"]:
            label = f"{factory['factory_id']}"
            if factory["factory_name"]:
                label += f" ({factory['factory_name']})"
            axis.plot(
                months,
                factory["cumulative_kg"],
                marker="o",
                markersize=3,
                linewidth=1.8,
                label=label,
            )
        cap = series["carbon_cap_kg"]
        axis.axhline(
            cap,
            color="crimson",
            linestyle="--",
            linewidth=1.4,
            label=f"{sector} cap {cap / 1e6:,.1f}M kg",
        )
        # A fixed height spares matplotlib's search for tick labels above the axes
        # (there are none), which measures every y tick label once more.
        axis.set_title(sector, y=1.0)
        axis.set_xticks(months, data["month_labels"])
        axis.set_xlim(0.6, 12.4)
        axis.set_ylim(bottom=0)
        axis.yaxis.set_major_formatter(FuncFormatter(_millions))
        axis.set_ylabel("Cumulative emissions (kg CO2)")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=7, loc="upper left", framealpha=0.9)
    if not sectors:
        axes[0].text(0.5, 0.5, "No factories audited", ha="center", va="center")
    figure.suptitle(
        f"Cumulative CO2 emissions {outcome.year}: top {top_per_sector} factories per sector"
    )
    # zlib level 1, not 6: a third less compression time for a file 5% larger.
    figure.savefig(os.fspath(path), format="png", pil_kwargs={"compress_level": 1})
