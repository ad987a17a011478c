"""The ``landuse`` command line: thin click commands over the library.

:mod:`~landuse.cli.app` holds the group, the shared options and the workspace
commands (``check``, ``info``); :mod:`~landuse.cli.commands` the assessment
commands, which register themselves on the group when imported.
"""

from __future__ import annotations

from landuse.cli import commands, fields  # noqa: F401  (register the commands on `cli`)
from landuse.cli.app import cli

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> None:
    """Run the ``landuse`` command (the console entry point)."""
    cli.main(args=argv, prog_name="landuse")
