"""Static description of the default network: sites, routes, AI load, candidate routes, prices.

Why separate from ``make_default.py``: this file says *what* the network is (and is what a
planner edits); the script says *how* the derived numbers (route km, traffic, installed
capacity, budgets) are made from it. All figures are illustrative; see inputs/README.md.
"""

from __future__ import annotations

import pandas as pd

# --- sites ----------------------------------------------------------------------------------
# id, name, operator (illustrative), lat, lon, region, kind
SITES: list[tuple[str, str, str, float, float, str, str]] = [
    ("ASH", "Ashburn VA", "Hyperscaler A", 39.044, -77.487, "us-east", "cloud_region"),
    ("NYC", "New York / Secaucus NJ", "Carrier Hotel Co 1", 40.790, -74.057, "us-east",
     "carrier_hotel"),
    ("BOS", "Boston MA", "Carrier Hotel Co 2", 42.356, -71.061, "us-east", "carrier_hotel"),
    ("HCY", "Homer City PA (gas-powered AI campus)", "AI Developer H", 40.543, -79.162,
     "us-east", "ai_campus"),
    ("NAL", "New Albany OH", "Hyperscaler B", 40.081, -82.809, "us-east", "ai_campus"),
    ("COL", "Columbus OH (Hilliard / Dublin)", "Hyperscaler A", 40.033, -83.158, "us-east",
     "cloud_region"),
    ("CLT", "Charlotte NC", "Carrier Hotel Co 2", 35.227, -80.843, "us-east", "carrier_hotel"),
    ("ATL", "Atlanta GA", "Hyperscaler C", 33.755, -84.392, "us-south", "cloud_region"),
    ("MIA", "Miami FL", "Carrier Hotel Co 1", 25.782, -80.189, "us-south", "carrier_hotel"),
    ("MEM", "Memphis TN (Colossus-class campus)", "AI Lab X", 35.060, -90.154, "us-south",
     "ai_campus"),
    ("RPL", "Richland Parish LA (Holly Ridge)", "Hyperscaler B", 32.470, -91.620, "us-south",
     "ai_campus"),
    ("DFW", "Dallas-Fort Worth TX", "Colo Provider Q", 32.801, -96.821, "us-south",
     "cloud_region"),
    ("ABL", "Abilene TX (Stargate-class campus)", "AI Lab Y", 32.510, -99.770, "us-south",
     "ai_campus"),
    ("SHK", "Shackelford County TX", "Colo Provider R", 32.720, -99.300, "us-south",
     "ai_campus"),
    ("SAT", "San Antonio TX", "Hyperscaler C", 29.460, -98.660, "us-south", "cloud_region"),
    ("HOU", "Houston TX", "Carrier Hotel Co 2", 29.760, -95.370, "us-south", "carrier_hotel"),
    ("ELP", "El Paso TX", "Hyperscaler B", 31.860, -106.380, "us-south", "ai_campus"),
    ("CHI", "Chicago IL", "Carrier Hotel Co 1", 41.853, -87.619, "us-central", "carrier_hotel"),
    ("NCL", "New Carlisle IN", "Hyperscaler A", 41.700, -86.510, "us-central", "ai_campus"),
    ("MPW", "Mount Pleasant WI", "Hyperscaler C", 42.700, -87.940, "us-central", "ai_campus"),
    ("DSM", "West Des Moines IA", "Hyperscaler C", 41.550, -93.800, "us-central",
     "cloud_region"),
    ("CBF", "Council Bluffs IA", "Hyperscaler D", 41.225, -95.865, "us-central", "cloud_region"),
    ("PAP", "Papillion NE (Sarpy County)", "Hyperscaler B", 41.140, -96.050, "us-central",
     "cloud_region"),
    ("KCM", "Kansas City MO", "Carrier Hotel Co 3", 39.100, -94.579, "us-central",
     "carrier_hotel"),
    ("DEN", "Denver CO", "Carrier Hotel Co 3", 39.739, -104.990, "us-central", "carrier_hotel"),
    ("CHY", "Cheyenne WY", "Hyperscaler C", 41.140, -104.820, "us-central", "cloud_region"),
    ("PHX", "Phoenix AZ", "Hyperscaler C", 33.450, -112.070, "us-west", "cloud_region"),
    ("SLC", "Salt Lake City UT", "Colo Provider Q", 40.760, -111.890, "us-west", "cloud_region"),
    ("RNO", "Reno NV (Tahoe-Reno Industrial Center)", "Colo Provider S", 39.550, -119.470,
     "us-west", "ai_campus"),
    ("LVS", "Las Vegas NV", "Colo Provider S", 36.170, -115.140, "us-west", "cloud_region"),
    ("SCL", "Santa Clara CA (Silicon Valley)", "Colo Provider Q", 37.354, -121.955, "us-west",
     "cloud_region"),
    ("LAX", "Los Angeles CA", "Carrier Hotel Co 1", 34.048, -118.255, "us-west",
     "carrier_hotel"),
    ("QCY", "Quincy WA", "Hyperscaler C", 47.234, -119.852, "us-west", "cloud_region"),
    ("TDL", "The Dalles OR", "Hyperscaler D", 45.594, -121.178, "us-west", "cloud_region"),
    ("HIL", "Hillsboro OR", "Colo Provider Q", 45.523, -122.989, "us-west", "cloud_region"),
    ("SEA", "Seattle WA", "Carrier Hotel Co 2", 47.614, -122.338, "us-west", "carrier_hotel"),
]  # fmt: skip

# --- AI IT load (MW) online by year, 2024..2031 ---------------------------------------------
# AI campuses follow the order of magnitude of public announcements; campuses with zeros
# before 2027/2028 are NEW: they have no traffic history at all.
AI_MW: dict[str, list[float]] = {
    "NAL": [150, 400, 1000, 1300, 1600, 1800, 2000, 2100],
    "NCL": [200, 500, 1000, 1500, 2000, 2200, 2200, 2200],
    "MPW": [0, 100, 500, 900, 1200, 1500, 1500, 1500],
    "ABL": [0, 200, 1200, 1500, 1800, 2000, 2000, 2000],
    "MEM": [150, 300, 600, 1000, 1200, 1500, 1500, 1500],
    "RNO": [100, 200, 350, 500, 700, 800, 900, 1000],
    "SHK": [0, 0, 0, 200, 600, 1000, 1400, 1400],  # NEW: first building 2027
    "RPL": [0, 0, 0, 0, 500, 1200, 2000, 2500],  # NEW: 2 GW+ by 2030
    "HCY": [0, 0, 0, 0, 300, 1000, 2000, 3000],  # NEW: on-site gas generation from 2028
    "ELP": [0, 0, 0, 0, 200, 500, 800, 1000],  # NEW: 1 GW class, online 2028
    # cloud regions: the AI share of their IT load, modest
    "ASH": [250, 350, 450, 550, 650, 750, 850, 900],
    "COL": [60, 100, 160, 220, 280, 330, 380, 420],
    "ATL": [80, 150, 250, 350, 450, 550, 600, 650],
    "DFW": [80, 140, 220, 300, 380, 450, 500, 550],
    "SAT": [40, 70, 110, 150, 190, 220, 250, 280],
    "DSM": [60, 120, 200, 300, 400, 450, 500, 550],
    "CBF": [50, 90, 140, 190, 240, 280, 310, 340],
    "PAP": [40, 70, 110, 150, 190, 220, 250, 280],
    "CHY": [20, 40, 80, 150, 250, 350, 450, 500],
    "PHX": [80, 150, 250, 350, 450, 550, 600, 650],
    "SLC": [20, 30, 50, 70, 90, 110, 130, 150],
    "LVS": [20, 40, 60, 90, 120, 150, 170, 190],
    "SCL": [60, 90, 120, 150, 180, 210, 230, 250],
    "QCY": [60, 110, 180, 260, 340, 400, 450, 500],
    "TDL": [40, 80, 130, 180, 230, 270, 300, 330],
    "HIL": [30, 50, 80, 110, 140, 170, 190, 210],
}
#: first month of traffic for campuses that came online inside the history window
FIRST_MONTH = {"ABL": pd.Period("2025-06", "M"), "MPW": pd.Period("2025-10", "M")}
#: traffic attraction today of sites without AI load driving it (cloud regions, carrier hotels)
HUB_WEIGHT = {
    "ASH": 10, "NYC": 6, "BOS": 2.5, "COL": 4, "CLT": 2, "ATL": 5, "MIA": 2.5, "DFW": 6,
    "SAT": 3, "HOU": 2.5, "CHI": 6, "DSM": 3, "CBF": 3, "PAP": 2, "KCM": 2, "DEN": 3, "CHY": 2,
    "PHX": 4.5, "SLC": 2.5, "LVS": 2, "SCL": 6, "LAX": 5, "QCY": 3, "TDL": 3, "HIL": 3,
    "SEA": 3.5,
}  # fmt: skip

# --- corridors ------------------------------------------------------------------------------
# a, b, SRLGs (';'), legacy line system (40-48 slots/pair, 200G waves), extra latency ms,
# right-of-way followed.
# Routes follow interstate / railway rights-of-way; SRLGs mark conduits shared by two or more
# routes, e.g. two routes leaving Ashburn west in the same duct bank, three leaving Chicago
# south along the same railway, or two sharing the Indiana Toll Road.
CORRIDORS: list[tuple[str, str, str, bool, float, str]] = [
    ("BOS", "NYC", "", False, 0.0, "Amtrak NEC / I-95"),
    ("BOS", "CHI", "I90-INDIANA", True, 0.3, "Mass Pike, NY Thruway, Ohio / Indiana toll roads"),
    ("ASH", "NYC", "", False, 0.0, "I-95 / Amtrak NEC"),
    ("NAL", "NYC", "PGH-I76", True, 0.0, "I-78 / PA Turnpike / I-70 via Pittsburgh"),
    ("ASH", "HCY", "ASH-WEST", False, 0.0, "lateral: I-70 / US-219 (built ahead of the campus)"),
    ("ASH", "NAL", "ASH-WEST", False, 0.0, "I-68 / I-70 via Morgantown"),
    ("HCY", "NAL", "PGH-I76", False, 0.0, "lateral: US-22 / I-70 via Pittsburgh"),
    ("COL", "NAL", "", False, 0.0, "Columbus metro ring"),
    ("CHI", "COL", "CHI-SOUTH", False, 0.0, "I-70 / I-65 via Indianapolis"),
    ("NAL", "NCL", "", False, 0.0, "Ohio Turnpike via Toledo"),
    ("CHI", "NCL", "I90-INDIANA", False, 0.0, "Indiana Toll Road"),
    ("CHI", "MPW", "", False, 0.0, "I-94 Chicago - Milwaukee"),
    ("DSM", "MPW", "", False, 0.0, "Madison, Dubuque, Waterloo"),
    ("CHI", "DSM", "I80-IOWA", False, 0.0, "I-80 / I-88 via Quad Cities"),
    ("CBF", "DSM", "I80-IOWA", False, 0.0, "I-80 Iowa"),
    ("CBF", "PAP", "", False, 0.0, "Omaha metro"),
    ("DEN", "PAP", "I80-NEBRASKA", True, 0.0, "I-80 / I-76 via North Platte"),
    ("CHY", "PAP", "I80-NEBRASKA", False, 0.0, "I-80 Nebraska / Union Pacific"),
    ("CHY", "DEN", "", False, 0.0, "I-25"),
    ("CHY", "SLC", "", True, 0.2, "I-80 Wyoming / Union Pacific"),
    ("DEN", "SLC", "", False, 0.0, "I-70 / US-6 through the Rockies"),
    ("CBF", "KCM", "", False, 0.0, "I-29"),
    ("DSM", "KCM", "", False, 0.0, "I-35"),
    ("CHI", "KCM", "CHI-SOUTH", True, 0.0, "I-55 / I-70 via St. Louis"),
    ("DEN", "KCM", "", False, 0.0, "I-70 Kansas"),
    ("DFW", "KCM", "", True, 0.25, "I-35 via Oklahoma City"),
    ("CHI", "MEM", "CHI-SOUTH", True, 0.15, "I-57 / Illinois Central railroad"),
    ("ATL", "COL", "", False, 0.0, "I-71 / I-75 via Cincinnati, Knoxville"),
    ("COL", "MEM", "", False, 0.0, "I-71 / I-65 / I-40 via Louisville, Nashville"),
    ("ATL", "CLT", "", False, 0.0, "I-85"),
    ("ASH", "CLT", "ASH-SOUTH", False, 0.0, "I-95 / I-85 via Richmond, Greensboro"),
    ("ASH", "ATL", "ASH-SOUTH", True, 0.0, "I-81 / I-75 via Roanoke, Knoxville"),
    ("CLT", "MIA", "", False, 0.0, "I-95 / Florida East Coast railway"),
    ("ATL", "MIA", "", False, 0.0, "I-75 via Tampa, Alligator Alley"),
    ("ATL", "MEM", "", False, 0.0, "I-22 / US-78 via Birmingham"),
    ("ATL", "DFW", "I20-LA;I20-MS", True, 0.0, "I-20 via Shreveport, Jackson, Birmingham"),
    ("ATL", "RPL", "I20-MS", False, 0.0, "lateral: I-20 east (built ahead of the campus)"),
    ("MEM", "RPL", "", False, 0.0, "lateral: US-61 / US-65 Delta"),
    ("DFW", "RPL", "I20-LA", False, 0.0, "lateral: I-20 west (built ahead of the campus)"),
    ("DFW", "MEM", "", True, 0.0, "I-30 / I-40 via Little Rock"),
    ("ATL", "HOU", "", True, 0.0, "I-10 via New Orleans, Mobile"),
    ("DFW", "HOU", "", False, 0.0, "I-45"),
    ("HOU", "SAT", "", False, 0.0, "I-10"),
    ("DFW", "SAT", "", False, 0.0, "I-35 via Austin"),
    ("ABL", "DFW", "DFW-WEST", False, 0.0, "I-20"),
    ("ABL", "SHK", "", False, 0.0, "lateral: US-283 (built ahead of the campus)"),
    ("DFW", "SHK", "DFW-WEST", False, 0.0, "lateral: US-180 via Mineral Wells"),
    ("ABL", "ELP", "I10-WTX", False, 0.0, "I-20 / I-10 via Midland"),
    ("ELP", "SAT", "I10-WTX", True, 0.0, "I-10 West Texas"),
    ("ABL", "SAT", "", False, 0.0, "US-87 / US-83"),
    ("ELP", "PHX", "", False, 0.0, "I-10 via Tucson"),
    ("LAX", "PHX", "LAX-INLAND-EMPIRE", False, 0.0, "I-10"),
    ("LVS", "PHX", "", False, 0.0, "US-93"),
    ("LAX", "LVS", "LAX-INLAND-EMPIRE", False, 0.0, "I-15 via Cajon Pass"),
    ("LVS", "SLC", "I15-UT", False, 0.0, "I-15"),
    ("LAX", "SCL", "", True, 0.2, "US-101 / coast railroad"),
    ("RNO", "SCL", "BAYAREA-SAC", False, 0.0, "I-80 Donner Pass via Sacramento"),
    ("RNO", "SLC", "", False, 0.0, "I-80 Nevada / Union Pacific"),
    ("HIL", "SCL", "BAYAREA-SAC", True, 0.0, "I-5 via Sacramento, Redding"),
    ("RNO", "TDL", "", True, 0.0, "US-395 / US-97 via Klamath Falls"),
    ("HIL", "TDL", "", False, 0.0, "I-84 Columbia Gorge"),
    ("HIL", "SEA", "", False, 0.0, "I-5 / BNSF"),
    ("QCY", "SEA", "", False, 0.0, "I-90 Snoqualmie Pass"),
    ("QCY", "TDL", "", False, 0.0, "US-97 via Yakima"),
    ("SLC", "TDL", "", True, 0.2, "I-84 via Boise"),
    ("DEN", "PHX", "I25-NM", False, 0.0, "I-25 / I-40 / I-17 via Albuquerque"),
    ("DEN", "ELP", "I25-NM", False, 0.0, "I-25 via Albuquerque"),
]
#: route factor ranges other than U(1.2, 1.4): straight interstates run close to the
#: great circle, laterals to new campuses wind more, so existing traffic does not transit them
ROUTE_FACTOR = {
    ("ABL", "DFW"): (1.2, 1.24),
    ("ATL", "DFW"): (1.2, 1.24),
    ("NAL", "NYC"): (1.2, 1.24),
    ("ABL", "SHK"): (1.35, 1.4),
    ("DFW", "SHK"): (1.35, 1.4),
    ("ATL", "RPL"): (1.35, 1.4),
    ("DFW", "RPL"): (1.35, 1.4),
    ("HCY", "NAL"): (1.35, 1.4),
}

# --- candidate routes -----------------------------------------------------------------------
# id, a, b, build capex USD (None = new_build option cost), fiber pairs, slots/pair, SRLG,
# lead time years (None = new_build option's)
CANDIDATES: list[tuple[str, str, str, float | None, int, int, str, int | None]] = [
    ("NEW-MPW-NCL", "MPW", "NCL", None, 48, 64, "", None),  # Lake Michigan bypass of Chicago
    ("NEW-HCY-NCL", "HCY", "NCL", None, 48, 64, "", None),  # I-80 express for Homer City
    ("NEW-HOU-RPL", "HOU", "RPL", 38_000_000.0, 24, 64, "", None),  # I-49 / US-165 south
    ("NEW-ABL-RPL", "ABL", "RPL", 62_000_000.0, 96, 64, "", 3),  # dedicated AI spine
    ("NEW-PHX-SLC", "PHX", "SLC", None, 24, 64, "I15-UT", None),  # shares I-15 out of SLC
    ("NEW-ASH-COL", "ASH", "COL", 45_000_000.0, 48, 64, "", 3),  # US-33 / I-64, diverse
    ("NEW-ELP-SHK", "ELP", "SHK", None, 48, 64, "I10-WTX", None),  # I-20 / I-10 to West TX
]

# --- upgrade options ------------------------------------------------------------------------
# option_id, kind, capacity_gbps, capex_fixed_usd, capex_per_km_usd, lead_time_years,
# max_units_per_corridor, price_change_per_year, reach_km (None = n/a), regen_capex_usd
OPTIONS: list[tuple[str, str, float, float, float, int, int, float, float | None, float]] = [
    # transponder pair (both ends), coherent 400G ~ 1500 km reach
    ("wave_400g", "wave", 400.0, 150_000.0, 0.0, 0, 128, -0.15, 1500.0, 100_000.0),
    # 800G, shorter reach, cheaper per Gbps, falling faster
    ("wave_800g", "wave", 800.0, 250_000.0, 0.0, 0, 128, -0.18, 1000.0, 150_000.0),
    # light a spare pair: ROADM/terminal pair + inline amplifiers every ~80 km
    ("fiber_pair", "fiber_pair", 0.0, 1_500_000.0, 900.0, 1, 4, -0.05, None, 0.0),
    # new cable on a new right-of-way, 32 x 400G lit on day one
    ("new_build", "new_build", 12800.0, 8_000_000.0, 40_000.0, 2, 1, 0.03, None, 0.0),
]


#: Carrier lease offers (issue 18), illustrative: (lease_id, corridor_id, capacity_gbps,
#: fee USD per unit-year, upfront USD per unit, min term years, lead time years, max units,
#: price trend of new contracts, source / reasoning). Placed where own capacity is slow or
#: scarce: corridors without spare fiber pairs (their slots fill, and the next own step is a
#: new route, years away) and trunks where the plan lights new pairs (a year of lead time).
LEASES: list[tuple[str, str, float, float, float, int, int, int, float, str]] = [
    # dedicated 400G waves from a long-haul carrier: published/quoted ranges for 400G
    # wavelength services are roughly $10-40k per month by route length, a one-off install
    # fee of a few $10k, 12-36 month terms, service in weeks; prices fall ~10 %/yr
    ("wave400-ABL-DFW", "ABL-DFW", 400.0, 180_000.0, 15_000.0, 1, 0, 16, -0.10,
     "400G wave, 338 km, ~$15k/month + install; no spare pairs on our route"),
    ("wave400-DEN-PHX", "DEN-PHX", 400.0, 360_000.0, 20_000.0, 1, 0, 16, -0.10,
     "400G wave, 1316 km long haul, ~$30k/month + install; no spare pairs"),
    ("wave400-LVS-SLC", "LVS-SLC", 400.0, 240_000.0, 15_000.0, 1, 0, 8, -0.10,
     "400G wave, 717 km, ~$20k/month + install; no spare pairs"),
    ("wave400-RNO-SCL", "RNO-SCL", 400.0, 200_000.0, 15_000.0, 1, 0, 8, -0.10,
     "400G wave, 428 km, ~$17k/month + install; no spare pairs"),
    ("wave400-ASH-ATL", "ASH-ATL", 400.0, 320_000.0, 20_000.0, 2, 0, 16, -0.10,
     "400G wave, 1126 km, ~$27k/month, 24-month minimum; bridges our pair lighting (1 yr)"),
    # cloud-carrier / NaaS on-demand port: dearer per Gbps, no upfront, monthly terms
    # (modelled as 1 year), a few ports per corridor
    ("naas100-CHI-NCL", "CHI-NCL", 100.0, 96_000.0, 0.0, 1, 0, 8, -0.05,
     "on-demand 100G NaaS port pair, ~$8k/month, no install fee, metro 128 km"),
    # dark-fiber pair on a 20-year IRU, lit with our own line system and 64 x 400G: IRU
    # ~$6k per pair-km upfront plus line system and transponders (~$7M), O&M ~$120k/yr;
    # a year to splice and light; the O&M contract runs at least 5 years
    ("iru-pair-ABL-DFW", "ABL-DFW", 25600.0, 120_000.0, 9_000_000.0, 5, 1, 2, 0.0,
     "dark pair IRU 338 km lit with own 64 x 400G: $2M IRU + $7M equipment, O&M $120k/yr"),
]  # fmt: skip
