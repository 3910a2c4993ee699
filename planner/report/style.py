"""One look for every report figure: page size, colours, fonts and number formats.

Why one module: a planner reads a dozen pages side by side; the same colour must mean the same
thing on each (orange = upgraded, red = unserved/overloaded) and every number must read the same
way ("3.2 Tbps", "$41.5M"), whatever figure it is on.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: US letter landscape: the PDF page and every PNG share it, so PNG size is predictable.
PAGE_IN = (11.0, 8.5)
DPI = 150
PNG_PX = (int(PAGE_IN[0] * DPI), int(PAGE_IN[1] * DPI))

INK = "#1f2933"
MUTED = "#6b7280"
GRID = "#e5e7eb"
PAPER = "#ffffff"
BLUE = "#1f5fa8"  # demand, forecast, capacity: the "plan" colour
LIGHT_BLUE = "#a9c4e6"
ORANGE = "#e07b00"  # upgrades bought by the plan
RED = "#c0392b"  # unserved demand, overload
GREEN = "#2e8b57"  # served
PURPLE = "#6a3d9a"  # AI campuses
LAND = "#f4f2ec"
WATER = "#e4eef6"
BORDER = "#b9b3a7"
STATE = "#d3cec3"

#: Colour per upgrade option kind (planner.schema.OPTION_KINDS).
KIND_COLOURS = {"wave": BLUE, "fiber_pair": "#4f9d69", "new_build": PURPLE}
KIND_LABELS = {"wave": "Waves", "fiber_pair": "Light fiber pair", "new_build": "New build"}
#: Colour per site kind (planner.schema.SITE_KINDS).
SITE_COLOURS = {"ai_campus": PURPLE, "cloud_region": BLUE, "carrier_hotel": "#5f6b7a"}
SITE_MARKERS = {"ai_campus": "o", "cloud_region": "s", "carrier_hotel": "D"}
SITE_LABELS = {
    "ai_campus": "AI campus",
    "cloud_region": "Cloud region",
    "carrier_hotel": "Carrier hotel",
}
#: Categorical palette for "by corridor" stacks (colour-blind friendly, Okabe-Ito based).
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#999999",
)
OTHER = "#c7c7c7"


def series_colours(names: list[str]) -> dict[str, str]:
    """One palette colour per series (scenario, plan), in order, cycling past the palette."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


#: Utilisation is drawn on 0 .. UTIL_MAX; anything above is the darkest red.
UTIL_MAX = 1.2

NOTHING_TO_SHOW = "Nothing to show"

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#9ca3af",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.7,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "text.color": INK,
    "figure.facecolor": PAPER,
    "savefig.facecolor": PAPER,
    "pdf.fonttype": 42,
    "svg.hashsalt": "dci-planner",
    "path.simplify": True,
    "text.parse_math": False,  # "$41M" is money, not mathtext
}


@contextmanager
def theme() -> Iterator[None]:
    """rcParams for report figures, scoped so library users' own settings are untouched."""
    with mpl.rc_context(_RC):
        yield


def new_figure(size: tuple[float, float] = PAGE_IN) -> Figure:
    """A page-sized Figure on the Agg canvas (no pyplot: no global state, safe in workers)."""
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def page_title(fig: Figure, title: str, subtitle: str | None = None) -> None:
    """Figure title saying what is shown; the subtitle says how to read it."""
    fig.text(0.04, 0.955, title, fontsize=15, fontweight="bold", color=INK, va="top")
    if subtitle:
        # ~140 characters of 9.5 pt DejaVu fit the page width; wrap so nothing is cut off
        wrapped = "\n".join(textwrap.fill(p, 140) for p in subtitle.split("\n"))
        fig.text(0.04, 0.915, wrapped, fontsize=9.5, color=MUTED, va="top", linespacing=1.3)


def footer(fig: Figure, text: str) -> None:
    fig.text(0.04, 0.018, text, fontsize=7.5, color=MUTED, va="bottom")


def empty_panel(ax: Axes, message: str, title: str | None = None) -> None:
    """A panel that says clearly there is nothing to plot (never a blank axis)."""
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    ax.add_patch(
        mpl.patches.FancyBboxPatch(
            (0.05, 0.2),
            0.9,
            0.6,
            boxstyle="round,pad=0.02",
            transform=ax.transAxes,
            facecolor="#f7f7f5",
            edgecolor=GRID,
        )
    )
    ax.text(
        0.5,
        0.56,
        NOTHING_TO_SHOW,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        fontweight="bold",
        color=MUTED,
    )
    width_in = ax.get_position().width * ax.figure.get_figwidth() * 0.85
    wrapped = textwrap.fill(message, max(20, int(width_in * 12)))  # ~12 chars/inch at 10 pt
    ax.text(
        0.5,
        0.42,
        wrapped,
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=10,
        color=MUTED,
        linespacing=1.4,
    )


def figure_texts(fig: Figure) -> list[str]:
    """Every string drawn on a figure (tests look for the empty-state message with it)."""
    return [t.get_text() for t in fig.findobj(mpl.text.Text) if t.get_text()]


# --- numbers for people ---------------------------------------------------------------------

_BIT_UNITS = ((1e6, "Pbps"), (1e3, "Tbps"), (1.0, "Gbps"))
_USD_UNITS = ((1e9, "$B"), (1e6, "$M"), (1e3, "$k"), (1.0, "$"))


def _sig(x: float, digits: int = 3) -> str:
    """``digits`` significant figures without scientific notation or trailing zeros."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}" if math.isfinite(x) else "n/a"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    s = f"{x:,.{decimals}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def gbps_unit(max_gbps: float) -> tuple[float, str]:
    """Divisor and unit that keep an axis of Gbps values readable (Gbps, Tbps or Pbps)."""
    m = abs(max_gbps) if math.isfinite(max_gbps) else 0.0
    for div, unit in _BIT_UNITS:
        if m >= div * 1.0 or div == 1.0:
            return div, unit
    return 1.0, "Gbps"  # pragma: no cover


def fmt_gbps(gbps: float, digits: int = 3) -> str:
    """850 -> "850 Gbps", 3200 -> "3.2 Tbps", 1.5e6 -> "1.5 Pbps"."""
    if gbps is None or not math.isfinite(gbps):
        return "n/a"
    div, unit = gbps_unit(gbps)
    return f"{_sig(gbps / div, digits)} {unit}"


def usd_unit(max_usd: float) -> tuple[float, str]:
    """Divisor and label ("$M", "$B") for an axis of USD values."""
    m = abs(max_usd) if math.isfinite(max_usd) else 0.0
    for div, unit in _USD_UNITS:
        if m >= div:
            return div, unit
    return 1.0, "$"


def fmt_usd(usd: float, digits: int = 3) -> str:
    """41_500_000 -> "$41.5M", 1.2e9 -> "$1.2B", 0 -> "$0"."""
    if usd is None or not math.isfinite(usd):
        return "n/a"
    div, unit = usd_unit(usd)
    sign = "-" if usd < 0 else ""
    suffix = unit[1:]
    return f"{sign}${_sig(abs(usd) / div, digits)}{suffix}"


def fmt_pct(x: float, decimals: int = 1) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.{decimals}f}%"


def gbps_axis(ax: Axes, max_gbps: float, axis: str = "y", what: str = "Demand") -> float:
    """Label an axis of Gbps values in one readable unit; returns the divisor applied."""
    div, unit = gbps_unit(max_gbps)
    fmt = FuncFormatter(lambda v, _p: _sig(v, 3) if v else "0")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(f"{what} ({unit})")
    return div


def usd_axis(ax: Axes, max_usd: float, axis: str = "y", what: str = "CapEx") -> float:
    """Label an axis of USD values in $k/$M/$B; returns the divisor applied."""
    div, unit = usd_unit(max_usd)
    fmt = FuncFormatter(lambda v, _p: _sig(v, 3) if v else "0")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    label = "USD" if unit == "$" else f"USD, {unit[1:]}"
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(f"{what} ({label})")
    return div


def year_axis(ax: Axes, years: list[int] | np.ndarray, axis: str = "x") -> None:
    """Integer year ticks (never 2,027.5) with the unit in the label."""
    a = ax.xaxis if axis == "x" else ax.yaxis
    a.set_ticks(list(years))
    a.set_ticklabels([str(int(y)) for y in years])
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)("Year")


def util_cmap(max_utilization: float) -> LinearSegmentedColormap:
    """Green below the planning limit, orange at it, red at 100 %, dark red when overloaded.

    Values are normalised by :data:`UTIL_MAX` (use ``vmin=0, vmax=UTIL_MAX``).
    """
    lim = min(max(max_utilization, 0.05), 0.99) / UTIL_MAX
    one = 1.0 / UTIL_MAX
    stops = [
        (0.0, "#d8ecd2"),
        (lim * 0.6, "#8cc28a"),
        (lim, "#f0b34a"),
        (one, "#d7301f"),
        (1.0, "#67000d"),
    ]
    return LinearSegmentedColormap.from_list("dci_util", stops)
