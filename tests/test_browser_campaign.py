"""A campaign's report page (卫片执法) in real headless Chromium, from file:// with the network cut off.

The map inside the page draws the campaign's layers: the 11 units against the
red line, and the change polygons; nothing is fetched, nothing fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser import chromium, open_page

from landuse.campaigns.weipian import CAMPAIGN, run
from landuse.model.workspace import load_workspace
from landuse.output.campaign_report import write_campaign_report
from landuse.rules.model import load_ruleset

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/landuse-campaign-report.png")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = load_workspace(required=("counties", "changes"), landcover=False)
    rules = load_ruleset("zhumadian-2019-weipian")
    result = run(ws, rules)
    out = tmp_path_factory.mktemp("campaign")
    return write_campaign_report(result, CAMPAIGN, rules, out, problems=[*ws.problems, *result.problems])[
        "index.html"]


def test_campaign_report_renders_offline(report: Path, tmp_path: Path) -> None:
    with chromium() as browser, open_page(browser, report, wait_for="section.campaign") as (page, log):
        assert "卫片执法" in page.locator("h1").inner_text()
        assert page.locator("#counties table tbody tr").count() == 11
        page.locator("#lu-map-weipian").scroll_into_view_if_needed()
        frame = page.frame_locator("#lu-map-weipian")
        frame.locator("path.lu-weipian-red-line").first.wait_for(state="attached", timeout=15_000)
        assert frame.locator("path.lu-weipian-red-line").count() == 11
        frame.locator("path.lu-weipian-legality").first.wait_for(state="attached", timeout=15_000)
        assert frame.locator("path.lu-weipian-legality").count() == 300
        assert frame.locator(".leaflet-control-layers-overlays label").count() == 3
        page.add_style_tag(content="nav { position: static !important; }")
        page.wait_for_timeout(500)
        shot = tmp_path / "campaign.png"
        page.screenshot(path=str(shot), full_page=True)
    assert log.clean, log.describe()
    shutil.copyfile(shot, SCREENSHOT)
