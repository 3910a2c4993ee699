"""The solver layer: the only code that talks to HiGHS (``highs.py``) or CBC (``cbc.py``).

Why a layer of its own: five places used to set HiGHS up, load a model and re-solve it, with
two thread policies; the optimiser, the marginal LPs, the rounding start and survivability all
need the same things (one-call load, warm re-solve after bound / right-hand-side / row changes,
one process-wide thread rule, a fixed seed, a status mapping). Nothing outside ``planner.solver``
imports ``highspy``.
"""
