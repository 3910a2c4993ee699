"""Synthetic plan directories for the report tests and benchmark (see ``synthetic.py``)."""
