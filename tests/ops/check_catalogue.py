#!/usr/bin/env python3
"""Checks that the alert rules, recording rules and Grafana dashboards only use metrics
and labels catalogued in docs/metrics.md, and that every alert links its runbook.

    tests/ops/check_catalogue.py [--repo DIR] [--promtool PATH]

--repo defaults to the repository this script is in. With --promtool, the number of
rules read here is checked against what `promtool check rules` finds, so the small YAML
reader cannot silently skip a rule. Exit 0 when everything is consistent, 1 with every
problem listed otherwise. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402

SEVERITIES = {"critical", "warning", "info"}


class Checker:
    def __init__(self, repo: str):
        self.repo = repo
        self.problems: list[str] = []
        self.catalogue = opslib.parse_catalogue(os.path.join(repo, "docs/metrics.md"))
        self.names_seen: set[str] = set()
        self.exprs = 0

    def problem(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    def check_expr(self, where: str, expr: str) -> None:
        self.exprs += 1
        if not expr.strip():
            self.problem(where, "empty expression")
            return
        try:
            selectors = opslib.metric_selectors(expr)
        except ValueError as e:
            self.problem(where, f"cannot read expression: {e}")
            return
        if not selectors:
            self.problem(where, f"expression selects no metric: {expr.strip()}")
        for name, labels in selectors:
            self.names_seen.add(name)
            entry, suffix = opslib.resolve(name, self.catalogue)
            if entry is None:
                self.problem(where, f"metric {name} is not in docs/metrics.md")
                continue
            if entry.planned:
                self.problem(where, f"metric {name} is planned, not yet exported (docs/metrics.md)")
                continue
            allowed = set(entry.labels)
            if entry.type != "recorded" and entry.name != "up":
                allowed |= opslib.TARGET_LABELS
            if suffix == "_bucket":
                allowed.add("le")
            for label in sorted(labels - allowed):
                self.problem(where, f"{name} has no label {label!r} (catalogue: {', '.join(sorted(allowed)) or 'none'})")

    def check_rules(self, promtool: str | None) -> None:
        files = sorted(glob.glob(os.path.join(self.repo, "ops/prometheus/rules/*.yml")))
        if not files:
            self.problem("ops/prometheus/rules", "no rule files")
        anchors = opslib.heading_anchors(os.path.join(self.repo, "docs/operations.md"))
        recorded: set[str] = set()
        for path in files:
            rel = os.path.relpath(path, self.repo)
            try:
                rules = opslib.rule_items(path)
            except ValueError as e:
                self.problem(rel, str(e))
                continue
            if promtool:
                out = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
                m = re.search(r"SUCCESS: (\d+) rules found", out.stdout + out.stderr)
                if out.returncode != 0 or not m:
                    self.problem(rel, "promtool check rules failed:\n" + out.stdout + out.stderr)
                elif int(m.group(1)) != len(rules):
                    self.problem(rel, f"read {len(rules)} rules but promtool finds {m.group(1)}")
            for r in rules:
                where = f"{rel}:{r.line} {r.kind} {r.name}"
                if r.keys.count("expr") != 1:
                    self.problem(where, "needs exactly one expr")
                self.check_expr(where, r.expr)
                if r.kind == "record":
                    recorded.add(r.name)
                    entry = self.catalogue.get(r.name)
                    if entry is None or entry.type != "recorded":
                        self.problem(where, f"recorded series {r.name} is not catalogued as `recorded` in docs/metrics.md")
                    else:
                        for label in sorted(set(r.labels) - entry.labels):
                            self.problem(where, f"adds label {label!r} that docs/metrics.md does not list")
                    continue
                # alerts
                for key in ("summary", "description", "runbook_url"):
                    if not r.annotations.get(key, "").strip():
                        self.problem(where, f"missing annotation {key}")
                if r.labels.get("severity") not in SEVERITIES:
                    self.problem(where, f"severity must be one of {sorted(SEVERITIES)}")
                url = r.annotations.get("runbook_url", "")
                want = f"docs/operations.md#{r.name.lower()}"
                if url and url != want:
                    self.problem(where, f"runbook_url is {url!r}, expected {want!r}")
                if url and url.split("#", 1)[-1] not in anchors:
                    self.problem(where, f"docs/operations.md has no heading with anchor #{url.split('#', 1)[-1]}")
        for entry in self.catalogue.values():
            if entry.type == "recorded" and entry.name not in recorded:
                self.problem(f"docs/metrics.md:{entry.line}", f"{entry.name} is catalogued but no rule records it")

    def check_dashboards(self) -> None:
        boards = sorted(glob.glob(os.path.join(self.repo, "ops/grafana/*.json")))
        if not boards:
            self.problem("ops/grafana", "no dashboards")
        prov = os.path.join(self.repo, "ops/grafana/provisioning/datasources/doorstep.yaml")
        uids = set()
        if os.path.exists(prov):
            with open(prov, encoding="utf-8") as f:
                uids = set(re.findall(r"^\s*uid:\s*['\"]?([\w-]+)", f.read(), re.M))
        else:
            self.problem(os.path.relpath(prov, self.repo), "missing")
        for path in boards:
            rel = os.path.relpath(path, self.repo)
            try:
                with open(path, encoding="utf-8") as f:
                    board = json.load(f)
            except ValueError as e:
                self.problem(rel, f"not JSON: {e}")
                continue
            for key in ("uid", "title", "panels", "schemaVersion"):
                if key not in board:
                    self.problem(rel, f"no {key!r}")
            panels = list(_panels(board.get("panels", [])))
            ids = [p.get("id") for p in panels]
            if len(ids) != len(set(ids)) or None in ids:
                self.problem(rel, "panel ids must be present and unique")
            targets = 0
            for p in panels:
                where = f"{rel} panel {p.get('id')} {p.get('title')!r}"
                if p.get("type") == "row":
                    continue
                if "gridPos" not in p:
                    self.problem(where, "no gridPos")
                if not p.get("targets"):
                    self.problem(where, "no targets")
                for t in p.get("targets", []):
                    targets += 1
                    self.check_expr(f"{where} ref {t.get('refId')}", t.get("expr", ""))
                ds = p.get("datasource") or {}
                uid = ds.get("uid", "") if isinstance(ds, dict) else ""
                if uid != "${datasource}" and uid not in uids:
                    self.problem(where, f"datasource uid {uid!r} is neither ${{datasource}} nor a provisioned uid {sorted(uids)}")
            for var in board.get("templating", {}).get("list", []):
                if var.get("type") == "datasource":
                    cur = (var.get("current") or {}).get("value")
                    if cur and cur not in uids:
                        self.problem(f"{rel} variable {var.get('name')}", f"default {cur!r} is not a provisioned uid")
                elif var.get("type") == "query":
                    self.problem(f"{rel} variable {var.get('name')}", "query variables are not checked; add support here first")
            if targets == 0:
                self.problem(rel, "no queries")


def _panels(panels):
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", default=os.path.normpath(os.path.join(here, "..", "..")))
    ap.add_argument("--promtool", help="promtool binary, to cross-check the rule count")
    args = ap.parse_args()
    try:
        c = Checker(args.repo)
    except (OSError, ValueError) as e:
        print(f"check_catalogue: {e}", file=sys.stderr)
        return 1
    c.check_rules(args.promtool)
    c.check_dashboards()
    if c.problems:
        for p in c.problems:
            print(p, file=sys.stderr)
        print(f"check_catalogue: {len(c.problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_catalogue: {c.exprs} expressions use {len(c.names_seen)} series, all catalogued in docs/metrics.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
