#!/usr/bin/env python
"""Mutation run: would the tests notice a wrong reading of the notice?

Each mutant is one small change (file, original snippet, replacement) to the
judge (``landuse/verdict.py``), the measures (``supply.py``, ``idle.py``,
``approvals.py``) or the bundled rule sets' numbers. The repository's files
(tracked and untracked, not ignored) are copied once to a temporary folder;
each mutant is applied there alone, the fast tests are run against the copy
(``-m "not browser and not postgis and not slow"``, with a timeout), and the
file is put back. A mutant is *killed* when a test fails, *survived* when all
pass. The working tree is never touched.

Some survivors are *equivalent*: no input can tell them from the original
(the reason is in the table). They are kept in the list so that a change to
the code that makes them meaningful shows up as a survivor.

Usage::

    python scripts/mutate.py --list                      # the mutants
    python scripts/mutate.py                             # all of them (slow on 2 cores)
    python scripts/mutate.py --module verdict            # one module's
    python scripts/mutate.py --only L-award-or --only 'R-zmd-*'
    python scripts/mutate.py --tests tests/test_linkage.py --timeout 300
    python scripts/mutate.py --all-tests                 # the whole fast suite per mutant

Exit status: 0 when every non-equivalent mutant was killed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Test files run against each mutant of a module by default: the fastest tests that can
#: kill its mutants first (-x stops at the first failure), then the slower ones.
#: test_properties.py is left out (minutes of hypothesis); --all-tests runs every fast test.
_NOTICE = ["tests/test_notice_ranking.py", "tests/test_notice_consequences.py", "tests/test_notice_edges.py"]
MODULE_TESTS = {
    "verdict": ["tests/test_verdict.py", *_NOTICE, "tests/test_linkage.py"],
    "linkage": [*_NOTICE, "tests/test_linkage.py"],
    "supply": ["tests/test_supply.py", "tests/test_notice_edges.py", "tests/test_notice_measures.py",
               "tests/test_linkage.py"],
    "idle": ["tests/test_notice_measures.py", "tests/test_candidates.py", "tests/test_notice_edges.py",
             "tests/test_linkage.py"],
    "approvals": ["tests/test_notice_measures.py", "tests/test_candidates.py"],
    "toml": ["tests/test_rules.py", *_NOTICE, "tests/test_notice_measures.py", "tests/test_linkage.py",
             "tests/test_candidates.py"],
}
MARKERS = "not browser and not postgis and not slow"


@dataclass(frozen=True)
class Mutant:
    """One change: replace ``original`` (which must occur exactly once) in ``path``."""

    name: str
    path: str
    original: str
    replacement: str
    equivalent: str = ""  # why no test can kill it, when none can

    @property
    def tests(self) -> list[str]:
        return MODULE_TESTS["toml" if self.path.endswith(".toml") else Path(self.path).stem]

    @property
    def module(self) -> str:
        if self.path.endswith(".toml"):
            return Path(self.path).name
        return Path(self.path).stem


LINKAGE = "landuse/verdict.py"
ZENGCUN = "landuse/campaigns/zengcun/linkage.py"
SUPPLY = "landuse/analysis/supply.py"
IDLE = "landuse/analysis/idle.py"
APPROVALS = "landuse/analysis/approvals.py"
ZMD = "landuse/rules/rulesets/zhumadian-2018.toml"
MNR = "landuse/rules/rulesets/mnr-2018.toml"

_REACHED = "holds = value + eps >= threshold"
_AWARD = "award = ~missed & reached.all(axis=1)"

MUTANTS: list[Mutant] = [
    # --- the judge: comparisons at the target and the deadline -----------------------------
    Mutant("L-reached-gt", LINKAGE, _REACHED, "holds = value + eps > threshold"),
    Mutant("L-reached-minus-eps", LINKAGE, _REACHED, "holds = value - eps >= threshold"),
    Mutant("L-reached-no-eps", LINKAGE, _REACHED, "holds = value >= threshold"),
    Mutant("L-eps-zero", LINKAGE, "RATE_EPS = 1e-9", "RATE_EPS = 0.0"),
    Mutant("L-eps-wide", LINKAGE, "RATE_EPS = 1e-9", "RATE_EPS = 1e-6"),
    Mutant("L-decided-gt", LINKAGE, "decided = crit.deadline is None or pd.Timestamp(as_of) >= pd.Timestamp(crit.deadline)",
           "decided = crit.deadline is None or pd.Timestamp(as_of) > pd.Timestamp(crit.deadline)"),
    Mutant("L-no-task-unmet", LINKAGE, "met[no_task] = True", "met[no_task] = False"),
    Mutant("L-no-task-unreached", LINKAGE, 'frame["reached"] = reached | no_task', 'frame["reached"] = reached'),
    Mutant("L-gap-no-target", LINKAGE, '(frame["target"] * frame["base_ha"] - frame["done_ha"])',
           '(frame["base_ha"] - frame["done_ha"])'),
    Mutant("L-gap-no-clip", LINKAGE, '- frame["done_ha"]).clip(lower=0.0)', '- frame["done_ha"])'),
    Mutant("L-gap-no-task", LINKAGE, ".clip(lower=0.0).where(~no_task, 0.0)", ".clip(lower=0.0)"),
    Mutant("L-measured-on-max", LINKAGE, "measured_on = min(pd.Timestamp(as_of)", "measured_on = max(pd.Timestamp(as_of)"),
    # --- ranking ------------------------------------------------------------------------------
    Mutant("L-rank-lowest-first", LINKAGE, "key=lambda code: (-ranked[code], str(code))",
           "key=lambda code: (ranked[code], str(code))"),
    Mutant("L-rank-no-tiebreak", LINKAGE, "key=lambda code: (-ranked[code], str(code))",
           "key=lambda code: -ranked[code]"),
    Mutant("L-rank-tiebreak-reversed", LINKAGE, "order = sorted(ranked.index, key=lambda code: (-ranked[code], str(code)))",
           "order = sorted(ranked.index, key=lambda code: (ranked[code], str(code)), reverse=True)"),
    Mutant("L-rank-keep-nan", LINKAGE, "ranked = rate.dropna()", "ranked = rate.fillna(-1.0)"),
    Mutant("L-rank-start-0", LINKAGE, "enumerate(order, start=1)", "enumerate(order, start=0)"),
    Mutant("L-top-uncapped", LINKAGE, "top = min(commend, n)", "top = commend",
           equivalent="top > n only makes `position <= top` true for every position, as top = n "
                      "does, and bottom = min(criticize, n - top) < 0 criticises no one, as 0 does"),
    Mutant("L-bottom-overlap", LINKAGE, "bottom = min(criticize, n - top)",
           "bottom = min(criticize, n)",
           equivalent="the `elif` gives a commended county no second label: the positions it adds "
                      "(n - criticize < p <= top) are all commended already"),
    Mutant("L-criticize-if", LINKAGE, "        elif position > n - bottom:", "        if position > n - bottom:",
           equivalent="bottom <= n - top, so `position > n - bottom` implies `position > top`: the "
                      "two branches never both hold"),
    Mutant("L-commend-lt", LINKAGE, "if position <= top:", "if position < top:"),
    Mutant("L-criticize-ge", LINKAGE, "elif position > n - bottom:", "elif position >= n - bottom:"),
    Mutant("L-bottom-criticize", LINKAGE, "bottom = min(criticize, n - top)",
           "bottom = min(commend, n - top)"),
    # --- outcome, finality, provisional award -------------------------------------------------
    Mutant("L-missed-all", LINKAGE, "missed = (met == False).any(axis=1)", "missed = (met == False).all(axis=1)"),
    Mutant("L-final-any", LINKAGE, '"final": met.notna().all(axis=1)', '"final": met.notna().any(axis=1)'),
    Mutant("L-award-or", LINKAGE, _AWARD, "award = ~missed | reached.all(axis=1)"),
    Mutant("L-award-not-missed", LINKAGE, _AWARD, "award = ~missed"),
    Mutant("L-award-reached-any", LINKAGE, _AWARD, "award = ~missed & reached.any(axis=1)"),
    Mutant("L-award-reached-only", LINKAGE, _AWARD, "award = reached.all(axis=1)",
           equivalent="a decided task's `met` is its `reached` (no task: both true), so a missed "
                      "task is an unreached one and `~missed` adds nothing to `reached.all()`"),
    Mutant("L-tasks-met-pending", LINKAGE, '"tasks_met": (met == True).sum(axis=1)',
           '"tasks_met": (met != False).fillna(True).sum(axis=1)'),
    Mutant("L-multiplier-swapped", LINKAGE, "np.where(award, met_multiplier, missed_multiplier)",
           "np.where(award, missed_multiplier, met_multiplier)"),
    Mutant("L-plan-unmultiplied", ZENGCUN, 'out["plan_next_ha"] = base * v["multiplier"]',
           'out["plan_next_ha"] = base'),
    Mutant("L-suspended-provisional", LINKAGE, '"suspended": missed & bool(suspend_on_missed)',
           '"suspended": ~award & bool(suspend_on_missed)'),
    Mutant("L-suspended-always", LINKAGE, '"suspended": missed & bool(suspend_on_missed)',
           '"suspended": missed'),
    Mutant("L-milestone-pending", ZENGCUN, 'milestone_missed |= (f["met"] == False).fillna(False)',
           'milestone_missed |= ~f["reached"].astype(bool)'),
    Mutant("L-milestone-ignored", ZENGCUN, 'milestone_missed |= (f["met"] == False).fillna(False)',
           "pass"),
    # --- treatment ------------------------------------------------------------------------------
    Mutant("L-little-lt", ZENGCUN, "little = stock <= stock.quantile(", "little = stock < stock.quantile("),
    Mutant("L-little-quantile-fixed", ZENGCUN, "stock.quantile(tr.little_stock_quantile)", "stock.quantile(0.4)"),
    Mutant("L-stock-missing-much", ZENGCUN, "stock = stock_ha.reindex(codes).fillna(0.0)",
           "stock = stock_ha.reindex(codes).fillna(1e9)"),
    # Scale indicators and development zones share one pair of conditions (zengcun.linkage.judge_counties).
    Mutant("L-treatment-cut-or", ZENGCUN, "~little & ~award & ~unknown", "(~little | ~award) & ~unknown"),
    Mutant("L-treatment-favour-or", ZENGCUN, "little & award & ~unknown,", "(little | award) & ~unknown,"),

    # --- supply: dates, caps, windows, the no-task threshold ----------------------------------
    Mutant("S-piece-date-lt", SUPPLY, 'dated = (self.pieces["supply_date"] <= t).to_numpy()',
           'dated = (self.pieces["supply_date"] < t).to_numpy()'),
    Mutant("S-tabular-date-lt", SUPPLY, 'self.tabular[self.tabular["supply_date"] <= t]',
           'self.tabular[self.tabular["supply_date"] < t]'),
    Mutant("S-until-lt", SUPPLY, 'sup = sup[sup["supply_date"] <= _ts(until)]', 'sup = sup[sup["supply_date"] < _ts(until)]'),
    Mutant("S-revocation-date-lt", SUPPLY, 'rev = revocations[revocations["date"] <= _ts(as_of)]',
           'rev = revocations[revocations["date"] < _ts(as_of)]'),
    Mutant("S-revocation-uncapped", SUPPLY, "r = np.minimum(r, approved)", "r = r"),
    Mutant("S-supply-uncapped", SUPPLY, "s = np.minimum(s_raw, room)", "s = s_raw"),
    Mutant("S-cap-ignores-revocations", SUPPLY, "room = approved - r\n", "room = approved\n"),
    Mutant("S-unsupplied-no-clip", SUPPLY, 'ledger[f"U@{key}"] = (approved - s - r).clip(lower=0.0)',
           'ledger[f"U@{key}"] = (approved - s - r)',
           equivalent="s <= approved - r and r <= approved, so approved - s - r >= 0 already"),
    Mutant("S-window-left", SUPPLY, 'between(d1, d2, inclusive="both")', 'between(d1, d2, inclusive="left")'),
    Mutant("S-window-right", SUPPLY, 'between(d1, d2, inclusive="both")', 'between(d1, d2, inclusive="right")'),
    Mutant("S-disposal-no-clip", SUPPLY, '(led[f"U@{k0}"] - led[f"U@{k}"]).clip(lower=0.0)',
           '(led[f"U@{k0}"] - led[f"U@{k}"])',
           equivalent="S + R = min(S_raw + R, A) never falls as T grows, so U(T) <= U(T0) for T >= T0"),
    Mutant("S-disposal-baseline-swapped", SUPPLY, 'led[f"U@{k}"]).clip(lower=0.0), led[f"U@{k0}"])',
           'led[f"U@{k}"]).clip(lower=0.0), led[f"U@{k}"])'),
    Mutant("S-rate-base-positive", SUPPLY, "return rate.where(base > EPS_HA)", "return rate.where(base > 0.0)"),
    Mutant("S-rate-no-upper-clip", SUPPLY, "(done / base).clip(lower=0.0, upper=1.0)", "(done / base).clip(lower=0.0)",
           equivalent="done <= base for every measure: S <= A - R, U(T0) - U(T) <= U(T0), disposed "
                      "parcels are on the list"),
    Mutant("S-eps-wide", SUPPLY, "EPS_HA = 1e-6", "EPS_HA = 1e-3"),
    Mutant("S-drop-tabular", SUPPLY, "if not tab.empty and not drawn_only:", "if False:"),
    Mutant("S-loose-unlinked", SUPPLY, "if not loose.empty and not batches.empty:", "if False:"),
    Mutant("S-overlap-summed", SUPPLY, "now = dated & tangled", "now = dated & False"),

    # --- idle: the disposal date, counted methods, Order 53 -----------------------------------
    Mutant("I-disposal-date-lt", IDLE, 'counted & (idle["disposal_date"] <= _ts(as_of))',
           'counted & (idle["disposal_date"] < _ts(as_of))'),
    Mutant("I-any-method-counts", IDLE, 'counted = idle["disposal"].isin(rules.idle.disposal_methods)',
           'counted = idle["disposal"].notna()'),
    Mutant("I-after-lt", IDLE, "return (start + pd.DateOffset(months=months)) <= t",
           "return (start + pd.DateOffset(months=months)) < t"),
    Mutant("I-recover-after-fee-years", IDLE, "_after(start, ir.recover_after_years, t)",
           "_after(start, ir.fee_after_years, t)"),
    Mutant("I-fee-and-recover", IDLE, "fee = enterprise & _after(start, ir.fee_after_years, t) & ~recover",
           "fee = enterprise & _after(start, ir.fee_after_years, t)"),
    Mutant("I-fee-full-price", IDLE, "fee_wan = (price * ir.fee_rate).where(fee)", "fee_wan = price.where(fee)"),
    Mutant("I-developed-le", IDLE, "low_developed = developed < ir.developed_share_min",
           "low_developed = developed <= ir.developed_share_min"),
    Mutant("I-invested-le", IDLE, "low_invested = invested < ir.investment_share_min",
           "low_invested = invested <= ir.investment_share_min"),
    Mutant("I-under-and", IDLE, "(low_developed | low_invested)", "(low_developed & low_invested)"),
    Mutant("I-not-started-undue", IDLE, "not_started = due & ~started", "not_started = ~started"),
    Mutant("I-started-lt", IDLE, 'started = sup["actual_start"].notna() & (sup["actual_start"] <= t)',
           'started = sup["actual_start"].notna() & (sup["actual_start"] < t)'),
    Mutant("I-identified-is-start", IDLE, 'idle["identified_date"] - pd.DateOffset(months=months)',
           'idle["identified_date"]'),
    Mutant("I-listed-disposed", IDLE, "workspace.idle.loc[~disposed_mask(workspace.idle, rules, t)",
           "workspace.idle.loc[disposed_mask(workspace.idle, rules, t)"),

    # --- approvals: the two-year rule ----------------------------------------------------------
    Mutant("P-old-le", APPROVALS, "pd.DateOffset(months=round(ar.lapse_years * 12))) < t",
           "pd.DateOffset(months=round(ar.lapse_years * 12))) <= t"),
    Mutant("P-any-approver", APPROVALS, 'b.index[b["approver"].isin(ar.approvers) & old',
           "b.index[old"),
    Mutant("P-unknown-compensation-kept", APPROVALS, '((comp == "未实施") | comp.isna()).fillna(False)',
           '(comp == "未实施").fillna(False)'),
    Mutant("P-withdraw-full-only", APPROVALS, 'comp.isin(["部分实施", "已实施"])', 'comp.isin(["已实施"])'),
    Mutant("P-reduce-any-approver", APPROVALS, 'b["approver"].isin(ar.reduce_approvers)',
           'b["approver"].isin(ar.approvers)'),
    Mutant("P-unknown-site-changed", APPROVALS, "& unchanged.fillna(True))\n    reduce",
           "& unchanged.fillna(False))\n    reduce"),
    Mutant("P-built-share-lt", APPROVALS, "(share[share.notna()] <= limit)", "(share[share.notna()] < limit)"),
    Mutant("P-nothing-supplied-strict", APPROVALS, "nothing = supplied <= EPS_HA", "nothing = supplied <= 0.5"),
    Mutant("P-ground-ignored", APPROVALS, "left_on_ground.fillna(0.0) > MIN_CANDIDATE_HA)", "True)"),

    # --- the bundled rule sets' numbers ---------------------------------------------------------
    Mutant("R-zmd-T1-target", ZMD, "target = 0.70", "target = 0.69"),
    Mutant("R-zmd-T2-target", ZMD, "target = 0.75", "target = 0.74"),
    Mutant("R-zmd-T3-target", ZMD, "target = 0.20", "target = 0.21"),
    Mutant("R-zmd-T4-target", ZMD, "target = 0.50", "target = 0.49"),
    Mutant("R-zmd-T1-deadline", ZMD, "deadline = 2018-09-30", "deadline = 2018-10-01"),
    Mutant("R-zmd-T2-deadline", ZMD, 'deadline = 2018-12-31\ntarget = 0.75', 'deadline = 2018-12-30\ntarget = 0.75'),
    Mutant("R-zmd-T3-deadline", ZMD, 'deadline = 2018-12-31\ntarget = 0.20', 'deadline = 2019-01-01\ntarget = 0.20'),
    Mutant("R-zmd-T4-deadline", ZMD, 'deadline = 2018-12-31\ntarget = 0.50', 'deadline = 2018-12-30\ntarget = 0.50'),
    Mutant("R-zmd-T1-window", ZMD, 'window = [2013-01-01, 2017-12-31]\ndeadline = 2018-09-30',
           'window = [2013-01-02, 2017-12-31]\ndeadline = 2018-09-30'),
    Mutant("R-zmd-T2-window", ZMD, 'window = [2013-01-01, 2017-12-31]\ndeadline = 2018-12-31',
           'window = [2013-01-01, 2017-12-30]\ndeadline = 2018-12-31'),
    Mutant("R-zmd-T3-window", ZMD, "window = [2009-01-01, 2015-12-31]", "window = [2009-01-01, 2016-01-01]"),
    Mutant("R-zmd-baseline", ZMD, "baseline = 2018-01-01", "baseline = 2018-01-02"),
    Mutant("R-zmd-award", ZMD, "met_multiplier = 1.10", "met_multiplier = 1.05"),
    Mutant("R-zmd-penalty", ZMD, "missed_multiplier = 0.80", "missed_multiplier = 0.85"),
    Mutant("R-zmd-plan-year", ZMD, "plan_year_offset = 1 ", "plan_year_offset = 0 "),
    Mutant("R-zmd-no-suspension", ZMD, "on_missed = true", "on_missed = false"),
    Mutant("R-zmd-exempt-dropped", ZMD, '"重大民生项目", ', ""),
    Mutant("R-zmd-quantile", ZMD, "little_stock_quantile = 0.5", "little_stock_quantile = 0.4"),
    Mutant("R-zmd-labels-swapped", ZMD, 'scale_favoured = "倾斜"\nscale_cut = "扣减"',
           'scale_favoured = "扣减"\nscale_cut = "倾斜"'),
    Mutant("R-zmd-commend", ZMD, "commend = 3", "commend = 2"),
    Mutant("R-zmd-criticize", ZMD, "criticize = 3", "criticize = 4"),
    Mutant("R-zmd-method-dropped", ZMD, '    "动工开发",\n', ""),
    Mutant("R-zmd-not-started-years", ZMD, "not_started_years = 1", "not_started_years = 2"),
    Mutant("R-zmd-developed-share", ZMD, "developed_share_min = 0.3333333333333333", "developed_share_min = 0.3"),
    Mutant("R-zmd-investment-share", ZMD, "investment_share_min = 0.25", "investment_share_min = 0.3"),
    Mutant("R-zmd-fee-rate", ZMD, "fee_rate = 0.20", "fee_rate = 0.25"),
    Mutant("R-zmd-fee-years", ZMD, "fee_after_years = 1", "fee_after_years = 2"),
    Mutant("R-zmd-recover-years", ZMD, "recover_after_years = 2", "recover_after_years = 3"),
    Mutant("R-zmd-lapse-years", ZMD, "lapse_years = 2", "lapse_years = 3"),
    Mutant("R-zmd-reduce-approvers", ZMD, 'reduce_approvers = ["省政府"]', 'reduce_approvers = ["国务院", "省政府"]'),
    Mutant("R-zmd-built-share", ZMD, "unchanged_max_built_share = 0.2", "unchanged_max_built_share = 0.3"),
    Mutant("R-zmd-causes", ZMD, 'government_causes = ["政府原因", "政府企业共同原因"]',
           'government_causes = ["政府原因"]'),
    Mutant("R-mnr-target", MNR, "target = 0.60", "target = 0.59"),
    Mutant("R-mnr-deadline", MNR, "deadline = 2018-12-31", "deadline = 2018-12-30"),
    Mutant("R-mnr-window", MNR, "window = [2013-01-01, 2017-12-31]", "window = [2013-01-01, 2018-01-01]"),
    Mutant("R-mnr-floor", MNR, "missed_multiplier = 0.0", "missed_multiplier = 0.1"),
    Mutant("R-mnr-stands", MNR, "met_multiplier = 1.0", "met_multiplier = 1.1"),
    Mutant("R-mnr-exempt-dropped", MNR, 'exempt_project_kinds = ["国家重点项目", "民生保障项目"]',
           'exempt_project_kinds = ["国家重点项目"]'),
    Mutant("R-mnr-commend", MNR, "commend = 3", "commend = 2"),
]


def _select(names: list[str] | None, modules: list[str] | None) -> list[Mutant]:
    chosen = MUTANTS
    if modules:
        chosen = [m for m in chosen if any(fnmatch.fnmatch(m.module, pat) or m.module.startswith(pat)
                                           for pat in modules)]
    if names:
        chosen = [m for m in chosen if any(fnmatch.fnmatch(m.name, pat) for pat in names)]
    return chosen


def _copy_repo(dest: Path) -> None:
    """Copy the worktree's files (tracked and untracked, not ignored) into ``dest``."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if not src.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def _run_tests(copy: Path, tests: list[str], timeout: float) -> tuple[str, float, str]:
    """Run pytest in ``copy``; return (``pass`` | ``fail`` | ``timeout``, seconds, last line)."""
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", MARKERS, *tests]
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, ""
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    last = lines[-1] if lines else done.stderr.strip()[-200:]
    return ("pass" if done.returncode == 0 else "fail"), time.monotonic() - start, last


def _check_import(copy: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    where = subprocess.run([sys.executable, "-c", "import landuse; print(landuse.__file__)"], cwd=copy,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(copy.resolve()):
        sys.exit(f"the copy's landuse is not the one imported ({where}); is PYTHONPATH honoured?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this mutant (glob patterns allowed; repeatable)")
    parser.add_argument("--module", action="append", metavar="MODULE",
                        help="run only one module's mutants: verdict, supply, idle, approvals, "
                             "zhumadian-2018.toml, mnr-2018.toml (repeatable; a prefix is enough)")
    parser.add_argument("--tests", nargs="+", metavar="FILE",
                        help="test files to run per mutant (default: the module's, see MODULE_TESTS)")
    parser.add_argument("--all-tests", action="store_true", help="run the whole fast suite per mutant")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant (default 600)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run of the unmutated copy")
    args = parser.parse_args(argv)

    chosen = _select(args.only, args.module)
    if args.list:
        for m in chosen:
            tag = "  [equivalent]" if m.equivalent else ""
            print(f"{m.name:30} {m.path}{tag}\n    - {m.original!r}\n    + {m.replacement!r}")
        print(f"{len(chosen)} mutants")
        return 0
    if not chosen:
        print("no mutant matches", file=sys.stderr)
        return 2
    chosen_tests = ["tests", "landuse"] if args.all_tests else args.tests

    def tests_for(m: Mutant) -> list[str]:
        return chosen_tests or m.tests

    with tempfile.TemporaryDirectory(prefix="landuse-mutate-") as tmp:
        copy = Path(tmp) / "repo"
        _copy_repo(copy)
        _check_import(copy)
        baseline = chosen_tests or list(dict.fromkeys(t for m in chosen for t in m.tests))
        print(f"copy: {copy}\ntests: {' '.join(baseline)}\nmutants: {len(chosen)}\n", flush=True)
        if not args.no_baseline:
            state, secs, last = _run_tests(copy, baseline, args.timeout)
            print(f"{'(unmutated)':30} {state:8} {secs:6.1f}s  {last}", flush=True)
            if state != "pass":
                print("the tests fail without any mutant; fix them first", file=sys.stderr)
                return 2
        results: list[tuple[Mutant, str]] = []
        for m in chosen:
            path = copy / m.path
            text = path.read_text(encoding="utf-8")
            count = text.count(m.original)
            if count != 1:
                state = "missing" if count == 0 else "ambiguous"
                print(f"{m.name:30} {state:8}  (snippet found {count} times in {m.path})", flush=True)
                results.append((m, state))
                continue
            path.write_text(text.replace(m.original, m.replacement), encoding="utf-8")
            try:
                state, secs, last = _run_tests(copy, tests_for(m), args.timeout)
            finally:
                path.write_text(text, encoding="utf-8")
            verdict = {"pass": "survived", "fail": "killed", "timeout": "killed"}[state]
            note = "timeout" if state == "timeout" else last
            print(f"{m.name:30} {verdict:8} {secs:6.1f}s  {note}", flush=True)
            results.append((m, verdict))

    print()
    print(f"{'module':22} {'mutants':>7} {'killed':>7} {'survived':>8} {'equivalent':>10} {'not applied':>11}")
    modules = list(dict.fromkeys(m.module for m, _ in results))
    totals = [0, 0, 0, 0, 0]
    for mod in modules:
        rows = [(m, v) for m, v in results if m.module == mod]
        killed = sum(v == "killed" for _, v in rows)
        survived = [m for m, v in rows if v == "survived"]
        equivalent = sum(bool(m.equivalent) for m in survived)
        missing = sum(v in ("missing", "ambiguous") for _, v in rows)
        counts = [len(rows), killed, len(survived), equivalent, missing]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        print(f"{mod:22} {counts[0]:7} {counts[1]:7} {counts[2]:8} {counts[3]:10} {counts[4]:11}")
    print(f"{'total':22} {totals[0]:7} {totals[1]:7} {totals[2]:8} {totals[3]:10} {totals[4]:11}")
    survivors = [m for m, v in results if v == "survived"]
    if survivors:
        print("\nsurvivors:")
        for m in survivors:
            why = f"equivalent: {m.equivalent}" if m.equivalent else "NOT KILLED: a test is missing"
            print(f"  {m.name:30} {why}")
    killed_equivalent = [m for m, v in results if v == "killed" and m.equivalent]
    for m in killed_equivalent:
        print(f"  {m.name:30} marked equivalent but killed: check the reason")
    unmatched = [m for m, v in results if v in ("missing", "ambiguous")]
    for m in unmatched:
        print(f"  {m.name:30} not applied: its snippet is not (exactly once) in {m.path}")
    return 1 if any(not m.equivalent for m in survivors) or unmatched else 0


if __name__ == "__main__":
    sys.exit(main())
