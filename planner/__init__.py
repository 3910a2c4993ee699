"""dci-planner: fiber and wavelength capacity planning between AI data centers."""

__version__ = "0.1.0"
