"""Builders of the hand-solvable lease cases (issue 18), shared by the lease tests.

One corridor A-B, no capacity installed, 100 Gbps of demand in each of six years
(2030-2035). Own wave: 100 Gbps, $1000, in service two years after purchase. Lease offer
``L100``: 100 Gbps, $100 upfront, $300 a year, at least 2 years, in service the year signed.
The unserved penalty is $10 per Gbps-year (a lease is cheaper than leaving demand unserved).
"""

from __future__ import annotations

from pathlib import Path

from planner.tables import Inputs, table_from_records
from tests.builders import demand, make_inputs, scenario

#: valid lease_options.csv / committed_upgrades.csv for tests/data/tiny (tests break them)
LEASES = (
    "lease_id,corridor_id,capacity_gbps,opex_usd_per_unit_year,upfront_usd_per_unit,"
    "min_term_years,lead_time_years,max_units,price_change_per_year,available_from_year,source\n"
    "L1,C1,400,200000,10000,2,0,8,-0.1,,quote\n"
    "L2,,100,90000,,,,4,,2028,\n"
)
COMMITTED = (
    "corridor_id,option_id,year,units,term_years\n"
    "C1,wave_400g,2027,2,\n"
    "C1,L1,2027,1,3\n"
    "N1,new_build,2027,1,\n"
)


YEARS = list(range(2030, 2036))
LEASE = dict(
    lease_id="L100",
    corridor_id="AB",
    capacity_gbps=100.0,
    opex_usd_per_unit_year=300.0,
    upfront_usd_per_unit=100.0,
    min_term_years=2,
    lead_time_years=0,
    max_units=5,
    price_change_per_year=0.0,
    available_from_year=None,
    source="test",
)


def lease_inputs(tmp: Path, committed: list[dict] | None = None, **lease) -> Inputs:
    inp = make_inputs(
        tmp,
        ["A", "B"],
        [dict(corridor_id="AB", site_a="A", site_b="B", distance_km=100.0,
              installed_capacity_gbps=0.0)],
        [dict(option_id="w100", capacity_gbps=100.0, capex_fixed_usd=1000.0,
              lead_time_years=2, max_units_per_corridor=10)],
    )  # fmt: skip
    inp.lease_options = table_from_records("lease_options", [{**LEASE, **lease}])
    rows = [dict(term_years=None, **c) for c in committed or []]
    inp.committed_upgrades = table_from_records("committed_upgrades", rows)
    return inp


def lease_demand():
    return demand([("A", "B", y, 100.0) for y in YEARS])


def lease_scenario(**kw):
    base = dict(years=len(YEARS), budget=1e9, unserved_penalty_usd_per_gbps=10.0)
    base["start_year"] = YEARS[0]
    return scenario(**{**base, **kw})
