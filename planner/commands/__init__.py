"""Click subcommands, one module per area, registered on ``planner.cli.main``."""
