"""landuse: construction-land 增存挂钩 (increase-stock linkage) assessment.

Load a bureau's layers into a :class:`Workspace`, assess each county against
a :class:`RuleSet` as of a date, and render maps, ledgers and a meeting report.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from landuse._errors import (
    CRSError,
    DatabaseError,
    DataIncompleteError,
    LanduseError,
    LayerReadError,
    OutputExistsError,
    OutputWriteError,
    RuleSetError,
    SchemaError,
    WorkspaceError,
)
from landuse.campaigns.zengcun.assessment import Assessment, assess, save_assessment
from landuse.model.schema import Problem
from landuse.model.workspace import Workspace, load_workspace
from landuse.rules.model import RuleSet, list_rulesets, load_ruleset

try:
    __version__ = version("landuse")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Assessment",
    "CRSError",
    "DataIncompleteError",
    "DatabaseError",
    "LanduseError",
    "LayerReadError",
    "OutputExistsError",
    "OutputWriteError",
    "Problem",
    "RuleSet",
    "RuleSetError",
    "SchemaError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "assess",
    "list_rulesets",
    "load_ruleset",
    "load_workspace",
    "save_assessment",
    "write_report",
]


def __getattr__(name: str) -> object:
    # The report pulls in matplotlib and folium: import it only when asked for.
    if name == "write_report":
        from landuse.output.report import write_report

        return write_report
    raise AttributeError(f"module 'landuse' has no attribute {name!r}")
