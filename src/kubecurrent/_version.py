"""The tool's version: the one place it is written (pyproject.toml reads it from here).

A literal rather than a look-up in the installed distribution's metadata: ``importlib.metadata``
costs a file scan more to import (email, zipfile, csv) than the scan of a small repository.
"""

__version__ = "0.1.0"
