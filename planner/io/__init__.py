"""The only package that reads or writes data files."""

from planner.io.atomic import atomic_write, write_csv, write_json, write_text
from planner.io.inputs import read_inputs, read_scenario

__all__ = ["atomic_write", "read_inputs", "read_scenario", "write_csv", "write_json", "write_text"]
