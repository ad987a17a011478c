"""Campaigns: one module a campaign, each a plug-in on the same engine.

A rule set names its campaign (``campaign = "zengcun"`` by default); the
engine looks the campaign up in :data:`CAMPAIGNS` and runs it. A campaign
declares the layers it needs, measures its tasks from the workspace as of a
date, has the generic judge (:mod:`landuse.verdict`) decide them, and returns
a :class:`~landuse.campaigns._base.CampaignResult`: the county columns it
adds, its ledger sheets, its map layers, its report section and the judged
tasks (read by ``landuse quota``). Adding a campaign is a module here, its
measures in the analyses, a TOML file, and one line in :data:`CAMPAIGNS`.
增存挂钩 (:mod:`landuse.campaigns.zengcun`, the default) has its own
``assess``; its tasks go through the same judge.
"""

from __future__ import annotations

from landuse.campaigns._base import Campaign, CampaignResult, Ledger, MapLayer

__all__ = ["CAMPAIGNS", "Campaign", "CampaignResult", "Ledger", "MapLayer"]

#: Campaign name (a rule set's ``campaign`` key) → the module path that implements it.
CAMPAIGNS: dict[str, str] = {
    "weipian": "landuse.campaigns.weipian",
    "farmland": "landuse.campaigns.farmland",
}
