"""``planner import``: turn public network data into an inputs directory the pipeline can run.

Why a group: each source format has its own knobs, but every importer ends the same way - a
validated inputs directory, a scenario next to it and an ``import_report.json`` listing every
repair - so ``planner run`` works on the result unchanged.
"""

from __future__ import annotations

from pathlib import Path

import click

from planner.commands.options import FiniteFloatRange, out_option, start_year_option
from planner.errors import InputError, Problem


class _Validated:
    """The check an importer runs on the folder it wrote, before that folder replaces
    ``out``: re-read it through the normal validator, since an import must never emit inputs
    that ``planner run`` would reject (and must leave ``out`` as it was when it does).
    ``line``: what was validated, printed after the import's summary."""

    def __init__(self, out: Path, scenario: str) -> None:
        self.out, self.scenario, self.line = out, scenario, ""

    def __call__(self, folder: Path) -> None:
        from planner.io import read_inputs, read_scenario

        try:
            s = read_inputs(folder).summary()
            read_scenario(folder / self.scenario)
        except InputError as e:  # a bug in the importer, reported with the files it wrote
            raise InputError(
                [
                    Problem(
                        p.path.replace(str(folder), str(self.out)),
                        f"importer wrote invalid data: {p.message}",
                        p.row,
                        p.column,
                    )
                    for p in e.problems
                ]
            ) from None
        self.line = (
            f"validated: {s['sites']} sites, {s['corridors']} corridors, "
            f"{s['pairs_with_history']} pairs x {s['history_months']} months"
        )


def zoo_summary(rep: dict) -> list[str]:
    """What a planner should read before trusting the import: every repair, in one screen."""
    c, o = rep["cleaning"], rep["output"]
    comp = c["components"]
    kept = (
        "kept all"
        if comp["mode"] == "all"
        else f"kept the largest, dropped {comp['nodes_dropped']} nodes"
    )
    verb = "placed at neighbour mean" if c["missing_coords_mode"] == "place" else "dropped"
    dropped = len(c["nodes_dropped_no_coords"])
    lines = [
        f"{rep['network']}: {rep['input']['nodes']} nodes, {rep['input']['edges']} edges "
        f"read from {rep['source']}",
        f"  self-loops dropped: {c['self_loops_dropped']}",
        f"  parallel edges merged: {c['parallel_edges_merged']} "
        f"(into {len(c['merged_pairs'])} corridors)",
        f"  nodes without coordinates: {c['nodes_missing_coords']} "
        f"({len(c['nodes_placed'])} {verb}" + (f", {dropped} dropped" if dropped else "") + ")",
        f"  edges dropped with their nodes: {c['edges_dropped_with_nodes']}",
        f"  hyperedge nodes kept as junction sites (no own traffic): {c['hyperedge_nodes']}",
        f"  unlabelled nodes: {c['unlabelled_nodes']}; duplicate labels renamed: "
        f"{len(c['duplicate_labels_renamed'])}",
        f"  disconnected pieces: {comp['found']} ({kept})",
        f"  corridors shorter than the minimum distance, floored: {c['distances_floored_to_min']}",
        f"wrote {o['sites']} sites, {o['corridors']} corridors, {o['pairs']} demand pairs "
        f"(of {o['pairs_possible']}) x {rep['options']['months']} months, budget "
        f"${o['budget_usd_total'] / 1e6:,.0f}M -> {o['scenario']}",
    ]
    if c["directed_input"]:
        lines.insert(1, "  directed graph read as undirected (reverse edges merged like parallel)")
    return lines


_FORMATS = {"sndlib-native": "SNDlib native", "sndlib-xml": "SNDlib XML"}


def _unit_note(scale: float, per: float | None) -> str:
    """``per``: how many of the file's unit make one Gbps (None: not a unit the importer
    knows)."""
    if scale <= 1:
        return "already Gbps" if per == 1.0 else "copied as-is into the _gbps columns"
    if per == scale:
        return (
            f"capacities and demands converted to Gbps (divided by {scale:,.0f}); costs as-is, "
            "so optimal costs compare 1:1"
        )
    return (
        f"capacities and demands divided by {scale:,.0f} into the _gbps columns, within their "
        "plausibility bounds; costs as-is, so optimal costs compare 1:1"
    )


def sndlib_summary(rep: dict) -> list[str]:
    """Every merge, drop and ignored SNDlib feature, so a cost comparison is never naive."""
    c, ig, o = rep["cleaning"], rep["ignored"], rep["output"]
    unit = rep["meta"].get("unit", "unspecified")
    pre = ig.get("pre_installed_capacity_cost_nonzero_links", 0)
    note = _unit_note(rep.get("unit_divided_by", 1.0), rep.get("unit_per_gbps"))
    return [
        f"{rep['network']}: read {rep['source']} ({_FORMATS.get(rep['format'], rep['format'])}"
        f" format; unit {unit}, {note})",
        f"  parallel links merged: {c['parallel_links_merged']}; self-loop links dropped: "
        f"{len(c['self_loop_links_dropped'])}; coordinates clipped: "
        f"{c['coordinates_clipped_to_wgs84']}, missing: "
        f"{c['nodes_without_coordinates_set_to_0_0']}",
        f"  coordinates: {c['coordinates']}",
        f"  demands: {c['parallel_demands_summed']} parallel summed, {c['self_demands_dropped']} "
        f"self-demands and {c['zero_demands_dropped']} zero pairs dropped",
        f"  ignored: routing cost on {ig['routing_cost_nonzero_links']} links, setup cost on "
        f"{ig['setup_cost_nonzero_links']}, pre-installed capacity cost on {pre} (sunk), hop "
        f"limits on {ig['hop_limited_demands']} demands, {ig['admissible_path_lists']} "
        "admissible-path lists",
        f"wrote {o['sites']} sites, {o['corridors']} corridors, {o['upgrade_options']} module "
        f"options, {o['pairs']} demand pairs (total {o['total_demand']:g}) -> {o['scenario']}",
    ]


class _Pairs(click.ParamType):
    """A positive count of pairs, or ``all``."""

    name = "N|all"

    def convert(self, value, param, ctx):  # type: ignore[override]
        if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
            return None
        try:
            n = int(value)
        except (TypeError, ValueError):
            self.fail(f"got {value!r}, expected a positive integer or 'all'", param, ctx)
        if n < 1:
            self.fail(f"got {n}, expected a positive integer or 'all'", param, ctx)
        return n


@click.group("import")
def import_group() -> None:
    """Import a public network (Topology Zoo GraphML, SNDlib native or XML) as planner
    inputs."""


@import_group.command("topologyzoo")
@click.argument("graphml", type=click.Path(path_type=Path))
@out_option(
    "Inputs folder to write (sites.csv, ..., scenarios/base.yaml, import_report.json).",
    required=True,
)
@click.option(
    "--missing-coords",
    type=click.Choice(["place", "drop"]),
    default="place",
    show_default=True,
    help="Nodes without Latitude/Longitude: place at their located neighbours' mean, or drop.",
)
@click.option(
    "--components",
    type=click.Choice(["largest", "all"]),
    default="largest",
    show_default=True,
    help="Disconnected pieces after cleaning: keep only the largest, or all.",
)
@click.option(
    "--route-factor",
    type=FiniteFloatRange(min=1.0),
    default=1.3,
    show_default=True,
    help="Route km per great-circle km (fiber follows roads and rail).",
)
@click.option(
    "--min-distance-km",
    type=FiniteFloatRange(min=0.001),
    default=1.0,
    show_default=True,
    help="Floor for corridor length (km), e.g. for co-located or placed nodes.",
)
@click.option(
    "--installed-gbps",
    type=FiniteFloatRange(min=0, min_open=True),
    default=1600.0,
    show_default=True,
    help="Installed capacity per edge (Gbps) when the file gives no LinkSpeed.",
)
@click.option(
    "--link-speed",
    type=click.Choice(["relative", "absolute", "ignore"]),
    default="relative",
    show_default=True,
    help="Use LinkSpeed attributes: scaled so the median link gets --installed-gbps "
    "(relative), as-is in Gbps (absolute), or not at all.",
)
@click.option(
    "--ai-sites",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Mark the N highest-degree sites as ai_campus (with a synthetic AI buildout).",
)
@click.option(
    "--pairs",
    type=_Pairs(),
    default="300",
    show_default=True,
    help="Demand pairs kept, top N by gravity weight, or 'all' (large networks: slow).",
)
@click.option(
    "--months",
    type=click.IntRange(min=12, max=240),
    default=36,
    show_default=True,
    help="Months of synthetic history, ending December before --start-year.",
)
@start_year_option("First planning year of the scenario.")
@click.option(
    "--horizon-years",
    type=click.IntRange(min=1, max=30),
    default=3,
    show_default=True,
    help="Planning years in the scenario.",
)
@click.option(
    "--growth",
    "growth_per_year",
    type=FiniteFloatRange(min=-0.5, max=5),
    default=0.35,
    show_default=True,
    help="Mean traffic growth per year (fraction; each pair varies).",
)
@click.option(
    "--noise",
    type=FiniteFloatRange(min=0, max=1),
    default=0.05,
    show_default=True,
    help="Month-to-month noise (log-normal sigma).",
)
@click.option(
    "--target-utilization",
    type=FiniteFloatRange(min=0.01, max=1.0),
    default=0.6,
    show_default=True,
    help="Busiest corridor's utilisation in the last history month on shortest paths; "
    "scales the whole traffic matrix.",
)
@click.option(
    "--distance-exponent",
    type=FiniteFloatRange(min=0, max=3),
    default=0.5,
    show_default=True,
    help="Gravity model deterrence: traffic ~ m_a m_b / km^x.",
)
@click.option(
    "--budget-usd",
    type=FiniteFloatRange(min=0),
    default=None,
    help="Scenario CapEx budget (USD).  [default: 1.5 x a shortest-path upgrade estimate]",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=42,
    show_default=True,
    help="Random seed of growth and noise (same seed, same files).",
)
def topologyzoo(graphml: Path, out_dir: Path, **kw) -> None:
    """Import a Topology Zoo GRAPHML file: sites, corridors, default costs, gravity demand."""
    from planner.io.topologyzoo import ZooOptions, import_topologyzoo

    check = _Validated(out_dir, "scenarios/base.yaml")
    rep = import_topologyzoo(graphml, out_dir, ZooOptions(**kw), check=check)
    for line in [*zoo_summary(rep), check.line]:
        click.echo(line)
    click.echo(f"report: {out_dir / 'import_report.json'}")
    click.echo(
        f"next: planner run --inputs {out_dir} --scenario {out_dir / 'scenarios' / 'base.yaml'} "
        f"--out reports/{graphml.stem.lower()}"
    )


@import_group.command("sndlib")
@click.argument("network_file", type=click.Path(path_type=Path))
@out_option(
    "Inputs folder to write (tables, demand.csv, scenarios/min_cost.yaml, report).",
    required=True,
)
@start_year_option("The single planning year of the instance.")
def sndlib(network_file: Path, out_dir: Path, start_year: int) -> None:
    """Import an SNDlib NETWORK_FILE (native text or XML format) as a one-year min-cost
    instance."""
    from planner.io.sndlib import import_sndlib

    check = _Validated(out_dir, "scenarios/min_cost.yaml")
    rep = import_sndlib(network_file, out_dir, start_year=start_year, check=check)
    for line in [*sndlib_summary(rep), check.line]:
        click.echo(line)
    click.echo(f"report: {out_dir / 'import_report.json'}")
    scen = out_dir / "scenarios" / "min_cost.yaml"
    click.echo(
        f"next: planner run --inputs {out_dir} --scenario {scen} "
        f"--demand {out_dir / 'demand.csv'} --out reports/{network_file.stem.lower()}"
    )
