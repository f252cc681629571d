"""Scale of state (issue #6), measured through the public surface of `doorstep serve`.

bench_scale_fill builds a store of N open tickets once per run set (see scale.h for the
cohorts: held/suspended over a year, live with every due deadline fired, a stream on 24x7
policies whose deadlines keep falling due after the fill). Each run then:

  1. copies the store (SST files hard-linked, the rest copied: RocksDB never changes an SST);
  2. starts `doorstep serve` on it and times exec -> first /readyz 200 (restart-to-ready);
  3. reads VmRSS / VmHWM from /proc/<pid>/status once ready and after the queries;
  4. waits until the startup backlog (deadlines that came due while no server ran) has
     fired (doorstep_timer_backlog == 0 and the lag histogram has recorded at least as
     many firings as the gauge showed at ready), then scrapes the histogram (S1);
  5. times GET /api/v1/tickets?overdue=true&limit=50 and GET /api/v1/stats for one street
     over one month on one keep-alive connection (client-side, after warm-ups; capped by
     a time budget so today's scanning implementation still finishes);
  6. keeps the window open at least --scale-window seconds, scrapes again (S2);
  7. firing lag = the S2 - S1 delta of doorstep_timer_firing_lag_seconds: only deadlines
     fired inside the window, i.e. due after the backlog drained (live timers, not the
     backlog). Cross-check from the stored events of some stream tickets: for every
     sla_at_risk / sla_breached event decided inside the window, its `at` minus the instant
     it was due (the breach's `due`, or the clock's warn_at[ordinal]);
  8. SIGTERM; the server must exit 0.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

TARGETS = {"rss_mib": 1024, "ready_s": 5, "lag_p99_ms": 100, "worklist_p99_ms": 10, "stats_p99_ms": 50}
CLOCKS = ["accept", "contact", "resolve", "verify"]


class ScaleError(Exception):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ fill


def fill(bins: Path, doorstep: Path, config: Path, root: Path, tickets: int, threads: int, stream_share: float,
         progress: bool) -> dict:
    """Builds the pristine data dir (store + a supervisor token) once; returns the fill's manifest."""
    data = root / "pristine"
    data.mkdir(parents=True)
    cmd = [str(bins / "bench_scale_fill"), "--config", str(config), "--store", str(data / "store"),
           "--tickets", str(tickets), "--threads", str(threads), "--duplicate-window", "1",
           "--stream-share", str(stream_share)]
    if progress:
        cmd.append("--progress")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None if progress else subprocess.PIPE, text=True,
                          timeout=7200)
    if proc.returncode != 0:
        raise ScaleError(f"bench_scale_fill failed ({proc.returncode}):\n{(proc.stderr or '')[-2000:]}")
    manifest = json.loads([l for l in proc.stdout.splitlines() if l.startswith("{")][-1])
    tok = subprocess.run([str(doorstep), "--config", str(config), "token", "--data", str(data), "add",
                          "--name", "bench-supervisor", "--role", "supervisor"],
                         capture_output=True, text=True, timeout=60)
    lines = [l.strip() for l in tok.stdout.splitlines() if l.strip()]
    if tok.returncode != 0 or not lines:
        raise ScaleError(f"doorstep token add failed:\n{tok.stderr[-2000:]}")
    manifest["token"] = lines[-1]
    manifest["pristine"] = str(data)
    manifest["store_bytes"] = sum(f.stat().st_size for f in (data / "store").rglob("*") if f.is_file())
    return manifest


def copy_data(src: Path, dst: Path) -> None:
    for dirpath, _, files in os.walk(src):
        out = dst / Path(dirpath).relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            if f.endswith(".sst"):
                try:
                    os.link(Path(dirpath) / f, out / f)
                    continue
                except OSError:  # another file system
                    pass
            shutil.copy2(Path(dirpath) / f, out / f)


# ------------------------------------------------------------------------------ probes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid: int) -> dict:
    text = Path(f"/proc/{pid}/status").read_text()
    kb = {k: int(re.search(rf"^{k}:\s+(\d+) kB", text, re.M).group(1)) for k in ("VmRSS", "VmHWM")}
    return {"rss_mib": kb["VmRSS"] / 1024, "hwm_mib": kb["VmHWM"] / 1024}


class client:
    """One keep-alive connection; every request timed client-side (send to last body byte)."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}

    def get(self, path: str) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        return r.status, body, time.perf_counter() - start

    def json(self, path: str):
        status, body, _ = self.get(path)
        if status != 200:
            raise ScaleError(f"GET {path}: {status} {body[:500]!r}")
        return json.loads(body)

    def close(self):
        self.conn.close()


def scrape(c: client) -> dict:
    status, body, _ = c.get("/metrics")
    if status != 200:
        raise ScaleError(f"GET /metrics: {status}")
    out = {"buckets": {}, "count": 0.0, "backlog": None}
    for line in body.decode().splitlines():
        m = re.match(r'doorstep_timer_firing_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            out["buckets"][float(m.group(1))] = float(m.group(2))
        elif line.startswith("doorstep_timer_firing_lag_seconds_count"):
            out["count"] = float(line.split()[-1])
        elif line.startswith("doorstep_timer_backlog "):
            out["backlog"] = float(line.split()[-1])
    return out


def quantile(buckets: dict[float, float], q: float) -> float | None:
    """histogram_quantile over cumulative buckets (seconds); the last finite bound when in +Inf."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if total <= 0:
        return None
    rank, prev_b, prev_c = q * total, 0.0, 0.0
    for b in bounds:
        if buckets[b] >= rank:
            if b == float("inf"):
                return prev_b
            return prev_b + (b - prev_b) * (rank - prev_c) / max(buckets[b] - prev_c, 1e-12)
        prev_b, prev_c = b, buckets[b]
    return prev_b


def percentiles(ms: list[float]) -> dict:
    s = sorted(ms)

    def pick(q):
        return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]

    return {"n": len(s), "p50_ms": statistics.median(s), "p99_ms": pick(0.99), "max_ms": s[-1]}


def timed(c: client, path: str, warmups: int, count: int, budget_s: float, check) -> dict:
    for _ in range(warmups):
        status, body, _ = c.get(path)
        if status != 200:
            raise ScaleError(f"GET {path}: {status} {body[:500]!r}")
        check(json.loads(body))
    ms, start = [], time.perf_counter()
    while len(ms) < count and (len(ms) < 5 or time.perf_counter() - start < budget_s):
        status, body, secs = c.get(path)
        if status != 200:
            raise ScaleError(f"GET {path}: {status} {body[:500]!r}")
        ms.append(secs * 1000)
    return percentiles(ms)


def parse_time(s: str) -> float:
    return datetime.fromisoformat(s).timestamp()


def event_lags(c: client, ids: list[str], t1: float, t2: float) -> list[float]:
    """Lag (ms) of every deadline of these tickets decided inside [t1, t2], from their events."""
    lags = []
    for tid in ids:
        doc = c.json(f"/api/v1/tickets/{urllib.parse.quote(tid)}/events")
        events = doc["events"] if isinstance(doc, dict) else doc
        clocks = None
        for e in events:
            data = e.get("data", {})
            if "clocks" in data:
                clocks = data["clocks"]
            at = parse_time(e["at"])
            if not t1 <= at <= t2:
                continue
            if e["type"] == "sla_breached":
                due = parse_time(data["due"])
            elif e["type"] == "sla_at_risk" and clocks:
                due = parse_time(clocks[CLOCKS.index(data["clock"])]["warn_at"][data["ordinal"]])
            else:
                continue
            lags.append((at - due) * 1000)
    return lags


# ------------------------------------------------------------------------------ one run


def wait_ready(proc: subprocess.Popen, port: int, started: float, timeout: float) -> float:
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise ScaleError(f"doorstep serve exited with {proc.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return time.perf_counter() - started
            conn.close()
        except OSError:
            pass
        time.sleep(0.005)
    raise ScaleError(f"doorstep serve not ready within {timeout:.0f} s")


def one_run(doorstep: Path, config: Path, data: Path, manifest: dict, args) -> dict:
    port = free_port()
    out: dict = {}
    logf = open(data / "serve.log", "w")
    started = time.perf_counter()
    proc = subprocess.Popen([str(doorstep), "--config", str(config), "serve", "--listen", f"127.0.0.1:{port}",
                             "--data", str(data), "--threads", str(args.threads), "--rate", "1000000"],
                            stdout=logf, stderr=subprocess.STDOUT)
    try:
        out["ready_s"] = wait_ready(proc, port, started, args.scale_ready_timeout)
        out["memory_ready"] = memory_mib(proc.pid)
        c = client(port, manifest["token"])
        # The startup backlog: deadlines that came due between the fill and now.
        first = scrape(c)
        out["backlog_at_ready"] = first["backlog"]
        drain_start = time.perf_counter()
        s1 = first

        # The gauge counts due timer keys, which a group commit deletes just before the
        # engine records those timers' lags: a scrape in between sees a gauge of 0 with
        # part of the backlog not yet in the histogram (one run counted 10 backlog timers,
        # hours late, inside the window). So the backlog has fired when the gauge is 0
        # and the histogram holds at least as many firings as were due at ready.
        def backlog_pending(s):
            return s["backlog"] or s["count"] - first["count"] < (first["backlog"] or 0)

        while backlog_pending(s1) and time.perf_counter() - drain_start < args.scale_drain_timeout:
            time.sleep(0.1)
            s1 = scrape(c)
        if backlog_pending(s1):
            raise ScaleError(f"the startup timer backlog did not drain in {args.scale_drain_timeout} s "
                             f"(gauge {s1['backlog']:.0f}, {s1['count'] - first['count']:.0f} of "
                             f"{first['backlog']:.0f} fired)")
        out["backlog_drain_s"] = time.perf_counter() - drain_start
        out["backlog_fired"] = s1["count"] - first["count"]
        t1 = time.time()
        window_start = time.perf_counter()

        def has_overdue(doc):
            if doc["total"] == 0:
                raise ScaleError("the overdue worklist is empty: the store holds no overdue ticket")
            out["overdue_total"] = doc["total"]

        def has_street(doc):
            if doc["tickets"] == 0:
                raise ScaleError(f"stats for {manifest['street']} over the month count no ticket")
            out["street_month_received"] = doc["tickets"]

        out["worklist"] = timed(c, "/api/v1/tickets?overdue=true&limit=50", 2, args.scale_worklist_requests,
                                args.scale_budget, has_overdue)
        q = urllib.parse.urlencode({"jurisdiction": manifest["street"], "from": manifest["month_from"],
                                    "to": manifest["month_to"], "group_by": "community"})
        out["stats"] = timed(c, f"/api/v1/stats?{q}", 2, args.scale_stats_requests, args.scale_budget, has_street)
        rest = args.scale_window - (time.perf_counter() - window_start)
        if rest > 0:
            time.sleep(rest)
        s2 = scrape(c)
        t2 = time.time()
        out["window_s"] = t2 - t1
        delta = {b: s2["buckets"][b] - s1["buckets"].get(b, 0) for b in s2["buckets"]}
        fired = s2["count"] - s1["count"]
        out["lag"] = {"fired": fired, "p50_ms": None, "p99_ms": None}
        if fired > 0:
            out["lag"]["p50_ms"] = quantile(delta, 0.5) * 1000
            out["lag"]["p99_ms"] = quantile(delta, 0.99) * 1000
            out["lag"]["over_100ms"] = fired - delta.get(0.1, 0)
        lags = event_lags(c, manifest["stream_ids"][:args.scale_event_tickets], t1, t2)
        out["event_lag"] = percentiles(lags) if lags else {"n": 0}
        out["memory_end"] = memory_mib(proc.pid)
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        stop = time.perf_counter()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ScaleError("doorstep serve did not stop within 120 s of SIGTERM")
        finally:
            logf.close()
        out["stop_s"] = time.perf_counter() - stop
    if proc.returncode != 0:
        raise ScaleError(f"doorstep serve exited with {proc.returncode}:\n{(data / 'serve.log').read_text()[-2000:]}")
    if out["lag"]["fired"] <= 0 and not args.smoke:
        raise ScaleError("no deadline fired during the measurement window: the stream cohort is missing")
    return out


def filled(bins: Path, doorstep: Path, config: Path, tmp: Path, args) -> dict:
    """The pristine store: filled now, or (--scale-keep DIR) kept from an earlier fill of the same size."""
    root = args.scale_keep or tmp / "scale"
    saved = root / "manifest.json"
    if args.scale_keep and saved.exists():
        manifest = json.loads(saved.read_text())
        age = time.time() - manifest["fired_to_ms"] / 1000
        if manifest["tickets"] == args.scale_tickets:
            log(f"[scale] reusing the store filled {age / 60:.0f} min ago in {root} (deadlines due since then are "
                f"the startup backlog; the 24x7 stream lasts about 2 h after the fill)")
            return manifest
    shutil.rmtree(root / "pristine", ignore_errors=True)  # another size, or a fill that failed
    log(f"[scale] filling a store with {args.scale_tickets:,} open tickets (once for all runs)")
    manifest = fill(bins, doorstep, config, root, args.scale_tickets, args.threads, args.scale_stream_share,
                    progress=not args.smoke and args.scale_tickets >= 50000)
    if args.scale_keep:
        saved.write_text(json.dumps(manifest))
    return manifest


def run_scale(bins: Path, doorstep: Path, config: Path, tmp: Path, args) -> dict:
    manifest = filled(bins, doorstep, config, tmp, args)
    root = tmp / "scale"
    log(f"  {manifest['seconds']:.0f} s, {manifest['timers_fired']:,} timers fired, "
        f"{manifest['pending_timers']:,} pending, next hour per 10 min {manifest['pending_next_hour_per_10min']}, "
        f"store {manifest['store_bytes'] / 2**20:,.0f} MiB")
    runs = []
    for r in range(args.runs):
        data = root / f"run-{r}"
        shutil.rmtree(data, ignore_errors=True)
        copy_data(Path(manifest["pristine"]), data)
        log(f"[scale {r + 1}/{args.runs}] doorstep serve on {args.scale_tickets:,} tickets")
        res = one_run(doorstep, config, data, manifest, args)
        log(f"  ready {res['ready_s']:.2f} s, rss {res['memory_ready']['rss_mib']:.0f} MiB, "
            f"worklist p99 {res['worklist']['p99_ms']:.1f} ms (n={res['worklist']['n']}), "
            f"stats p99 {res['stats']['p99_ms']:.1f} ms (n={res['stats']['n']}), "
            f"{res['lag']['fired']:.0f} timers fired in {res['window_s']:.0f} s, lag p99 {res['lag']['p99_ms']} ms")
        shutil.rmtree(data, ignore_errors=True)
        runs.append(res)
    for k in ("stream_ids", "token", "pristine"):
        manifest.pop(k, None)
    return {"fill": manifest, "runs": runs}


# ------------------------------------------------------------------------------ table


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarize(res: dict) -> dict:
    runs = res["runs"]

    def s(f):
        vals = [f(r) for r in runs]
        vals = [v for v in vals if v is not None]
        return spread(vals) if vals else None

    return {
        "rss_ready_mib": s(lambda r: r["memory_ready"]["rss_mib"]),
        "rss_end_mib": s(lambda r: r["memory_end"]["rss_mib"]),
        "hwm_mib": s(lambda r: r["memory_end"]["hwm_mib"]),
        "ready_s": s(lambda r: r["ready_s"]),
        "backlog_at_ready": s(lambda r: r["backlog_at_ready"]),
        "backlog_drain_s": s(lambda r: r["backlog_drain_s"]),
        "lag_p50_ms": s(lambda r: r["lag"]["p50_ms"]),
        "lag_p99_ms": s(lambda r: r["lag"]["p99_ms"]),
        "lag_fired": s(lambda r: r["lag"]["fired"]),
        "event_lag_p99_ms": s(lambda r: r["event_lag"].get("p99_ms")),
        "worklist_p50_ms": s(lambda r: r["worklist"]["p50_ms"]),
        "worklist_p99_ms": s(lambda r: r["worklist"]["p99_ms"]),
        "stats_p50_ms": s(lambda r: r["stats"]["p50_ms"]),
        "stats_p99_ms": s(lambda r: r["stats"]["p99_ms"]),
    }


def rows(res: dict, cell, verdict, smoke: bool) -> list[tuple]:
    """Rows for run.py's end-to-end table: (label, engine, baseline, ratio, target, verdict)."""
    f, sm = res["fill"], res["summary"]
    r0 = res["runs"][0]
    out = [(f"scale: {f['tickets']:,} open tickets ({r0.get('overdue_total', 0):,} overdue, "
            f"{f['pending_timers']:,} timers; filled in {f['seconds']:.0f} s)", "", "", "", "", "")]

    def row(label, key, target):
        v = sm[key]
        if v is None:
            out.append((label, "none", "", "", target[0] if target else "", "MISSED" if target and not smoke else ""))
            return
        out.append((label, cell(v), "", "", target[0] if target else "",
                    verdict(v["median"] <= target[1], smoke) if target else ""))

    row("  resident memory once ready (MiB)", "rss_ready_mib", ("<= 1,024", TARGETS["rss_mib"]))
    row("  resident memory after queries (MiB)", "rss_end_mib", ("<= 1,024", TARGETS["rss_mib"]))
    row("  peak resident memory (MiB)", "hwm_mib", None)
    row("  restart-to-ready (s)", "ready_s", ("<= 5 s", TARGETS["ready_s"]))
    row("  deadlines due at ready (backlog, not lag)", "backlog_at_ready", None)
    row("  backlog fired within (s)", "backlog_drain_s", None)
    row("  timer firing lag p50 (ms)", "lag_p50_ms", None)
    row("  timer firing lag p99 (ms)", "lag_p99_ms", ("<= 100 ms", TARGETS["lag_p99_ms"]))
    row("  timers fired in the window", "lag_fired", None)
    row("  firing lag p99 from events (ms)", "event_lag_p99_ms", None)
    row("  worklist overdue first page p50 (ms)", "worklist_p50_ms", None)
    row("  worklist overdue first page p99 (ms)", "worklist_p99_ms", ("<= 10 ms", TARGETS["worklist_p99_ms"]))
    row("  street-month stats p50 (ms)", "stats_p50_ms", None)
    row("  street-month stats p99 (ms)", "stats_p99_ms", ("<= 50 ms", TARGETS["stats_p99_ms"]))
    return out


EXPECTED_ROWS = ("resident memory once ready", "restart-to-ready", "timer firing lag p99",
                 "worklist overdue first page p99", "street-month stats p99")
