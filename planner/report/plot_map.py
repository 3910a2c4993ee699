"""The network map: where the sites are, how big each corridor ends up and how hot it runs.

Why this encoding: width = final capacity (what the network will be), colour = peak utilisation
over the horizon (where it hurts), an orange halo = what this plan buys, marker area = AI load
(why the demand is there). The legend lives in its own column so it never hides a site.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patheffects import Normal, Stroke

from planner.report import derive, style
from planner.report.basemap import Albers, draw_basemap
from planner.report.labels import Label, place_labels

MAX_LW = 7.0
MIN_LW = 1.0
MAX_MARKER = 420.0  # points^2 of the biggest AI campus
MIN_MARKER = 30.0
CASING = 2.2  # extra line width (points) of the dark casing on upgraded corridors
MAX_LINK_LABELS = 6  # the biggest additions only; dropped where they would overlap


def _curve(p: np.ndarray, q: np.ndarray, bulge: float, n: int = 24) -> np.ndarray:
    """Quadratic curve p -> q bowed sideways by ``bulge`` x length (parallel corridors)."""
    mid = 0.5 * (p + q)
    d = q - p
    normal = np.array([-d[1], d[0]])
    ctrl = mid + bulge * normal
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p + 2 * (1 - t) * t * ctrl + t**2 * q


def _nice(x: float) -> float:
    """Round to 1, 2 or 5 x 10^k (legend sample values)."""
    if x <= 0:
        return 0.0
    e = 10 ** math.floor(math.log10(x))
    return min((m * e for m in (1, 2, 5, 10)), key=lambda v: abs(v - x))


def _fit_view(ax, x: np.ndarray, y: np.ndarray) -> None:
    """Limits around the sites with padding, stretched to the axes' aspect (equal scale)."""
    x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
    span = max(x1 - x0, y1 - y0, 800.0)  # km; closer than this the basemap is too coarse
    pad = 0.09 * span + 60.0
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    bb = ax.get_position()
    fw, fh = ax.figure.get_size_inches()
    box_aspect = (bb.height * fh) / (bb.width * fw)
    w, h = x1 - x0, y1 - y0
    if h / w < box_aspect:
        extra = (w * box_aspect - h) / 2
        y0, y1 = y0 - extra, y1 + extra
    else:
        extra = (h / box_aspect - w) / 2
        x0, x1 = x0 - extra, x1 + extra
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")


def network_map(
    sites: pd.DataFrame,
    corridors: pd.DataFrame,
    capacity: pd.DataFrame,
    upgrades: pd.DataFrame,
    ai_buildout: pd.DataFrame,
    *,
    years: list[int] | None = None,
    max_utilization: float = 0.7,
    scenario_name: str = "",
) -> Figure:
    """Sites over the basemap; corridors by final capacity (width) and peak utilisation (colour).

    ``corridors`` is :func:`planner.network.network_table` (existing + candidate routes).
    """
    with style.theme():
        fig = style.new_figure()
        if years is None:
            years = sorted(capacity["year"].unique().tolist()) if len(capacity) else []
        final_year = int(years[-1]) if years else None
        span = derive.year_span(years, "over the horizon")
        fy = str(final_year) if final_year is not None else "the final year"
        style.page_title(
            fig,
            f"Network at the end of {fy}: capacity and peak utilisation"
            if final_year
            else "Network map",
            f"Scenario {scenario_name}.  Line width = capacity in {fy}; colour = peak "
            f"utilisation {span}; dark casing = upgraded by this plan (labels: capacity added); "
            f"marker area = AI IT load in {fy}.",
        )
        ax = _map_axes(fig)
        if sites.empty:
            style.empty_panel(ax, "The inputs list no sites.")
            return fig
        proj = Albers.for_extent(sites["lon"].to_numpy(), sites["lat"].to_numpy())
        sx, sy = proj.project(sites["lon"].to_numpy(), sites["lat"].to_numpy())
        pos = {sid: np.array([x, y]) for sid, x, y in zip(sites["site_id"], sx, sy, strict=True)}
        _fit_view(ax, sx, sy)
        lon0, lon1 = float(sites["lon"].min()), float(sites["lon"].max())
        lat0, lat1 = float(sites["lat"].min()), float(sites["lat"].max())
        m = 8.0 + 0.6 * max(lon1 - lon0, lat1 - lat0)
        draw_basemap(ax, proj, (lon0 - 1.5 * m, lat0 - m, lon1 + 1.5 * m, lat1 + m))

        summ = derive.corridor_summary(corridors, capacity, upgrades)
        summ = summ[summ["site_a"].isin(pos) & summ["site_b"].isin(pos)]
        cmap = style.util_cmap(max_utilization)
        norm = Normalize(0.0, style.UTIL_MAX)
        max_cap = float(summ["final_capacity_gbps"].max()) if len(summ) else 0.0
        max_cap = max_cap if max_cap > 0 else 1.0

        def lw(cap: float) -> float:
            return MIN_LW + (MAX_LW - MIN_LW) * math.sqrt(max(cap, 0.0) / max_cap)

        # parallel corridors between the same two sites are bowed apart (ranked in this order)
        summ = summ.sort_values(["site_a", "site_b", "corridor_id"]).reset_index(drop=True)
        mids = _draw_corridors(ax, summ, pos, cmap, norm, lw)
        mw = derive.site_ai_mw(ai_buildout, sites, final_year if final_year is not None else 0)
        max_mw = float(mw.max()) if len(mw) and mw.max() > 0 else 1.0
        sizes = MIN_MARKER + (MAX_MARKER - MIN_MARKER) * np.sqrt(mw.to_numpy() / max_mw)
        _draw_sites(ax, sites, sx, sy, sizes)
        labels = _site_labels(fig, sites, summ, mw, sx, sy, sizes)
        labels += _upgrade_labels(summ, mids)
        fig.dci_label_artists = place_labels(ax, labels)

        _legend(fig, summ, cmap, norm, max_cap, max_utilization, mw, max_mw, fy, lw)
        return fig


def _map_axes(fig: Figure):
    """The map panel: no ticks or grid, a thin border."""
    ax = fig.add_axes((0.03, 0.04, 0.72, 0.82))
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_color(style.BORDER)
    return ax


def _draw_corridors(ax, summ: pd.DataFrame, pos: dict, cmap, norm, lw) -> dict[str, np.ndarray]:
    """Corridor lines (parallel ones bowed apart); returns each corridor's midpoint."""
    rank = summ.groupby(["site_a", "site_b"]).cumcount()
    count = summ.groupby(["site_a", "site_b"])["corridor_id"].transform("count")
    paths, widths, colours, halos, halo_w, unbuilt = [], [], [], [], [], []
    order = summ.assign(par_rank=rank, par_n=count).sort_values(
        ["final_capacity_gbps", "corridor_id"], ascending=[False, True]
    )
    mids: dict[str, np.ndarray] = {}
    for row in order.itertuples():
        bulge = 0.12 * (row.par_rank - (row.par_n - 1) / 2)
        path = _curve(pos[row.site_a], pos[row.site_b], bulge)
        mids[row.corridor_id] = path[len(path) // 2]
        if row.final_capacity_gbps <= 0:
            unbuilt.append(path)
            continue
        paths.append(path)
        widths.append(lw(row.final_capacity_gbps))
        u = row.peak_utilization
        colours.append(cmap(norm(u)) if pd.notna(u) else style.MUTED)
        if row.upgraded:
            halos.append(path)
            halo_w.append(lw(row.final_capacity_gbps) + CASING)
    if unbuilt:
        ax.add_collection(
            LineCollection(
                unbuilt, colors=style.MUTED, linewidths=1.0, linestyles=(0, (2, 2)), zorder=2
            )
        )
    if halos:  # upgraded corridors are cased in ink, like a highway on a road map
        ax.add_collection(
            LineCollection(halos, colors=style.INK, linewidths=halo_w, zorder=2.5, capstyle="butt")
        )
    if paths:
        ax.add_collection(
            LineCollection(paths, colors=colours, linewidths=widths, zorder=3, capstyle="butt")
        )
    return mids


def _draw_sites(ax, sites: pd.DataFrame, sx, sy, sizes: np.ndarray) -> None:
    """One scatter per site kind (marker shape and colour by kind, area by AI load)."""
    kinds = sites["kind"].fillna("cloud_region").to_numpy()
    for kind in style.SITE_MARKERS:
        sel = kinds == kind
        if sel.any():
            ax.scatter(
                sx[sel],
                sy[sel],
                s=sizes[sel],
                marker=style.SITE_MARKERS[kind],
                facecolor=style.SITE_COLOURS[kind],
                edgecolor="white",
                linewidth=1.0,
                zorder=4,
            )


def _site_labels(fig, sites, summ, mw, sx, sy, sizes) -> list[Label]:
    """Site labels by priority: biggest AI load, then most connected."""
    degree = pd.concat([summ["site_a"], summ["site_b"]]).value_counts()
    prio = sites.assign(lab_mw=mw.to_numpy(), lab_deg=sites["site_id"].map(degree).fillna(0))
    prio = prio.assign(lab_x=sx, lab_y=sy, lab_s=sizes).sort_values(
        ["lab_mw", "lab_deg", "site_id"], ascending=[False, False, True]
    )
    px_per_pt = fig.dpi / 72.0
    return [
        Label(r.lab_x, r.lab_y, r.site_id, radius_px=math.sqrt(r.lab_s) / 2 * px_per_pt)
        for r in prio.itertuples()
    ]


def _upgrade_labels(summ: pd.DataFrame, mids: dict[str, np.ndarray]) -> list[Label]:
    """Optional labels on the biggest additions (dropped where they would overlap)."""
    up = summ[summ["upgraded"]].sort_values(["added_gbps", "corridor_id"], ascending=[False, True])
    out = []
    for r in up.head(MAX_LINK_LABELS).itertuples():
        p = mids[r.corridor_id]
        text = f"{r.corridor_id} +{style.fmt_gbps(r.added_gbps)}"
        out.append(
            Label(p[0], p[1], text, radius_px=3.0, fontsize=7.5, weight="normal", optional=True)
        )
    return out


def _legend(fig, summ, cmap, norm, max_cap, max_u, mw, max_mw, final_year, lw) -> None:
    """Right-hand column: utilisation colour bar, width and marker keys, a few totals."""
    _colour_bar(fig, cmap, norm, max_u)
    lax = fig.add_axes((0.79, 0.05, 0.19, 0.58))
    lax.set_axis_off()
    leg1 = _width_key(lax, summ, max_cap, final_year, lw)
    lax.add_artist(leg1)
    _site_key(lax, max_mw)
    n_up = int(summ["upgraded"].sum())
    hot = int((summ["peak_utilization"] > max_u + 1e-9).sum())
    stats = [
        f"{len(summ)} corridors, {n_up} upgraded",
        f"added {style.fmt_gbps(float(summ['added_gbps'].sum()))}",
        f"{hot} above the {max_u:.0%} limit at peak",
    ]
    lax.text(
        0,
        0.0,
        "\n".join(stats),
        transform=lax.transAxes,
        fontsize=8.5,
        va="bottom",
        color=style.INK,
        linespacing=1.5,
    )


def _colour_bar(fig, cmap, norm, max_u: float) -> None:
    cax = fig.add_axes((0.79, 0.70, 0.17, 0.025))
    cb = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, orientation="horizontal")
    cb.set_ticks([0, 0.25, 0.5, 0.75, 1.0, style.UTIL_MAX])
    cb.set_ticklabels(["0", "25", "50", "75", "100", f"\u2265{style.UTIL_MAX * 100:.0f}"])
    cb.ax.axvline(max_u, color=style.INK, lw=1.5)
    cb.ax.tick_params(labelsize=7.5)
    cb.outline.set_visible(False)
    fig.text(0.79, 0.745, "Peak utilisation (%)", fontsize=9, fontweight="bold")
    fig.text(
        0.79, 0.655, f"black tick = planning limit {max_u:.0%}", fontsize=7.5, color=style.MUTED
    )


def _width_key(lax, summ, max_cap: float, final_year: str, lw):
    """Line widths at a few round capacities, plus the upgraded and not-built styles."""
    samples = (
        sorted({_nice(max_cap * f) for f in (0.1, 0.35, 1.0)} - {0.0})
        if summ["final_capacity_gbps"].gt(0).any()
        else []
    )
    handles = [Line2D([], [], color=style.MUTED, lw=lw(v), solid_capstyle="round") for v in samples]
    names = [style.fmt_gbps(v) for v in samples]
    cased = [Stroke(linewidth=3.5 + CASING, foreground=style.INK), Normal()]
    handles += [
        Line2D([], [], color="#8cc28a", lw=3.5, solid_capstyle="round", path_effects=cased),
        Line2D([], [], color=style.MUTED, lw=1.0, ls=(0, (2, 2))),
    ]
    names += ["upgraded by the plan", "candidate route, not built"]
    leg = lax.legend(
        handles,
        names,
        loc="upper left",
        title=f"Capacity in {final_year}",
        title_fontproperties={"weight": "bold", "size": 9},
        handlelength=2.6,
        borderaxespad=0,
    )
    leg._legend_box.align = "left"
    return leg


def _site_key(lax, max_mw: float) -> None:
    """Site kinds and a few AI-load marker sizes."""
    site_h, site_n = [], []
    for kind, label in style.SITE_LABELS.items():
        site_h.append(
            Line2D(
                [],
                [],
                marker=style.SITE_MARKERS[kind],
                ls="",
                ms=8,
                markerfacecolor=style.SITE_COLOURS[kind],
                markeredgecolor="white",
            )
        )
        site_n.append(label)
    if max_mw > 1.0:
        for v in sorted({_nice(max_mw * f) for f in (0.2, 1.0)} - {0.0}):
            s = MIN_MARKER + (MAX_MARKER - MIN_MARKER) * math.sqrt(min(v / max_mw, 1.0))
            site_h.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    ls="",
                    ms=math.sqrt(s),
                    markerfacecolor="none",
                    markeredgecolor=style.PURPLE,
                )
            )
            site_n.append(f"{v:,.0f} MW AI IT load")
    leg = lax.legend(
        site_h,
        site_n,
        loc="upper left",
        bbox_to_anchor=(0, 0.52),
        title="Sites",
        title_fontproperties={"weight": "bold", "size": 9},
        labelspacing=1.1,
        borderaxespad=0,
    )
    leg._legend_box.align = "left"
