"""Planning for sets of demand futures: joint scenarios, scenario plans, risk of a plan."""
