"""PNG figures and a PDF report from a plan directory (matplotlib only, no network).

Entry point :func:`render`; every plot function takes DataFrames and returns a Figure, so
notebooks and sweeps can draw the same charts without files.
"""

from planner.report.plot_demand import forecast_fan, forecast_pairs
from planner.report.plot_map import network_map
from planner.report.plot_plan import capex_by_year, unserved_chart, utilization_heatmap
from planner.report.render import FIGURES, render

__all__ = [
    "FIGURES",
    "capex_by_year",
    "forecast_fan",
    "forecast_pairs",
    "network_map",
    "render",
    "unserved_chart",
    "utilization_heatmap",
]
