"""How demand reaches capacity: ``path`` (k shortest admissible paths) or ``arc`` (node balance).

Each module's ``define_flows(model)`` adds its flow columns and demand rows and returns
(flows frame, capacity triplets ``e, ti, col, coef``, latency in ms per flow column); the
shared rows and the objective are built around them by :func:`planner.optimize.build.build`.
"""
