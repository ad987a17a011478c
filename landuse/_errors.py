"""The one exception family of landuse.

Every error an analyst may see is a :class:`LanduseError`. Each carries its
message in Chinese and in English; ``str(error)`` gives both, and the command
line prints the one of the chosen language. Subclasses also inherit the
builtin exception they stand for, so ``except OSError`` still catches a file
that cannot be read (the habit of rasterio's ``errors.py``).
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "DataIncompleteError",
    "DatabaseError",
    "LanduseError",
    "LayerReadError",
    "OutputExistsError",
    "OutputWriteError",
    "RuleSetError",
    "SchemaError",
    "WorkspaceError",
]


class LanduseError(Exception):
    """Root of all landuse errors.

    Parameters
    ----------
    zh : str
        The message in Chinese: what is wrong, where (file, layer, row,
        field), the value received and how to fix it.
    en : str, optional
        The same message in English. Defaults to ``zh``.
    """

    def __init__(self, zh: str, en: str | None = None) -> None:
        self.zh = zh
        self.en = en if en is not None else zh
        super().__init__(self.zh if self.en == self.zh else f"{self.zh} / {self.en}")

    def message(self, lang: str = "zh") -> str:
        """Return the message in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.en if lang == "en" else self.zh


class LayerReadError(LanduseError, OSError):
    """A file, layer or table could not be read."""


class WorkspaceError(LanduseError, ValueError):
    """The workspace as a whole is unusable (a required layer is missing...)."""


class SchemaError(LanduseError, ValueError):
    """A layer lacks a required field or holds values of the wrong kind."""


class CRSError(LanduseError, ValueError):
    """A layer has no coordinate reference system, or one that cannot be used."""


class RuleSetError(LanduseError, ValueError):
    """A rule-set TOML file is missing, malformed or inconsistent."""


class OutputExistsError(LanduseError, FileExistsError):
    """An output exists and ``overwrite`` was not asked for."""


class DatabaseError(LanduseError, OSError):
    """A PostGIS database could not be reached, read or written."""


class DataIncompleteError(LanduseError, ValueError):
    """Errors kept rows out of a deciding task: no verdict without ``--accept-errors``."""


class OutputWriteError(LanduseError, OSError):
    """An output cannot be written: a read-only or full target, a folder that cannot be made."""
