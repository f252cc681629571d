#!/usr/bin/env python3
"""Runs every Doorstep benchmark and prints one table (issue #6).

    tests/bench/run.sh                 # build the release preset, measure, print the table
    tests/bench/run.py --build-dir build/release --runs 5 --json out.json
    tests/bench/run.py --smoke --build-dir build/dev   # each benchmark once, tiny: not a measurement
    tests/bench/run.py --only scale --runs 1 --scale-tickets 200000 --scale-keep /tmp/scale-200k

Micro benchmarks (Google Benchmark) report ns per operation. End-to-end benchmarks run
with their baseline in the same invocation, on the same payloads and options, and are
reported as ratios: durable ingest against a raw RocksDB loop committing the engine's own
WriteBatches (WAL without sync, and synced group commit), HTTP POST /api/v1/appeals
against a trivial Beast handler (wrk, peak and paced at 50% and 100% of peak), the
same ingest with metrics on and off, and Kafka ingest (the engine's Kafka edge consuming
and committing appeals from an in-process dev broker) against the slower of a raw
librdkafka consumer of the same messages and a raw RocksDB loop committing that run's
own batches (the ingest run's raw rate is shown beside it). Medians over --runs, with
min and max. Scale of state
(--only scale, scale_bench.py) restarts `doorstep serve` on a store of --scale-tickets
open tickets and checks memory, restart-to-ready, timer firing lag and worklist/stats
latency against the issue's absolute targets.

Comparisons are refused unless the build is a plain Release build; --smoke runs anywhere
and says that its numbers are not measurements.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale_bench  # noqa: E402  (beside this file)

SOURCE = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "post_appeals.lua"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def run_json(cmd: list[str], env: dict | None = None, timeout: float = 3600) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    line = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if not line:
        raise BenchError(f"{' '.join(cmd)} printed no JSON:\n{proc.stdout[-2000:]}")
    return json.loads(line[-1])


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# ------------------------------------------------------------------------------ build


def build_kind(build_dir: Path) -> tuple[str, bool]:
    cache = (build_dir / "CMakeCache.txt").read_text()
    kind = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", cache, re.M)
    sanitize = re.search(r"^DOORSTEP_SANITIZE:\w+=(.*)$", cache, re.M)
    kind = kind.group(1) if kind else "unknown"
    sanitized = bool(sanitize) and sanitize.group(1).upper() in ("ON", "1", "TRUE", "YES")
    return kind, sanitized


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    rev = subprocess.run(["git", "-C", str(SOURCE), "describe", "--always", "--dirty", "--abbrev=10"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1), "kernel": os.uname().release,
            "commit": rev, "started": time.strftime("%Y-%m-%d %H:%M:%S %z")}


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ------------------------------------------------------------------------------ micro


def run_micro(bins: Path, args) -> dict:
    log("[micro] Google Benchmark: decide+apply, codec, routing, calendar, timers")
    cmd = [str(bins / "bench_micro"), "--benchmark_format=json"]
    env = dict(os.environ)
    if args.smoke:
        cmd += ["--benchmark_min_time=0.001"]
        env["DOORSTEP_BENCH_SMOKE"] = "1"
    else:
        cmd += [f"--benchmark_repetitions={args.runs}", f"--benchmark_min_time={args.micro_min_time}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise BenchError(f"bench_micro failed:\n{proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    built = data["context"].get("doorstep_build", "unknown")
    per_op: dict[str, list[float]] = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" or b.get("error_occurred"):
            if b.get("error_occurred"):
                raise BenchError(f"{b['name']}: {b.get('error_message')}")
            continue
        name = re.sub(r"/(iterations|repeats):\d+|/real_time", "", b["run_name"])
        ips = b.get("items_per_second")
        if not ips:
            raise BenchError(f"{name} reports no items_per_second")
        per_op.setdefault(name, []).append(1e9 / ips)
    return {"build": built, "ns_per_op": {k: spread(v) for k, v in per_op.items()}}


# ------------------------------------------------------------------------------ ingest


def check_recording(res: dict, what: str) -> None:
    """The engine's batches are recorded into memory written before the run; what did not
    fit was allocated during it, so that run's engine time includes the recorder's pages."""
    spilled = res.get("record_overflow_bytes", 0)
    if spilled:
        log(f"warning: {what}: {spilled} bytes of recorded batches outgrew the recorder's reserve; "
            "this run's engine time includes allocating them")


def run_ingest(bins: Path, args, tmp: Path) -> dict:
    out: dict = {}
    common = [str(bins / "bench_ingest"), "--appeals", str(args.appeals), "--tmp", str(tmp),
              "--threads", str(args.threads)]
    if not args.smoke and args.appeals >= 50000:
        common.append("--progress")
    for mode in ("async", "sync"):
        n = args.appeals_sync if mode == "sync" else args.appeals
        runs = []
        for r in range(args.runs):
            log(f"[ingest {mode} {r + 1}/{args.runs}] {n} appeals through the engine, then raw RocksDB "
                f"(load {load()})")
            cmd = common + ["--durability", mode, "--baseline", "raw"]
            cmd[2] = str(n)
            if r == 0:
                cmd.append("--verify")
            if mode == "async":
                cmd.append("--outbox-read")
            res = run_json(cmd)
            check_recording(res, f"ingest {mode} {r + 1}")
            if r == 0 and not res.get("identical"):
                raise BenchError("the raw store differs from the engine's")
            runs.append(res)
        out[mode] = {
            "runs": runs,
            "engine_per_second": spread([x["engine_per_second"] for x in runs]),
            "raw_per_second": spread([x["raw_per_second"] for x in runs]),
            "ratio": spread([x["ratio"] for x in runs]),
            "appeals_per_batch": spread([x["appeals_per_batch"] for x in runs]),
        }
        if mode == "async":
            out[mode]["outbox_read_per_second"] = spread([x["outbox_read_per_second"] for x in runs])
    return out


def run_metrics(bins: Path, args, tmp: Path) -> dict:
    on, off, ratio = [], [], []
    for r in range(args.runs):
        pair = {}
        for m in ("on", "off") if r % 2 == 0 else ("off", "on"):
            log(f"[metrics {r + 1}/{args.runs}] ingest with metrics {m} (load {load()})")
            pair[m] = run_json([str(bins / "bench_ingest"), "--appeals", str(args.appeals), "--tmp", str(tmp),
                                "--threads", str(args.threads), "--durability", "async", "--metrics", m,
                                "--baseline", "none"])
        on.append(pair["on"]["engine_per_second"])
        off.append(pair["off"]["engine_per_second"])
        ratio.append(on[-1] / off[-1])
    return {"on_per_second": spread(on), "off_per_second": spread(off), "ratio": spread(ratio)}


# ------------------------------------------------------------------------------ kafka


def run_kafka(bins: Path, args, tmp: Path, ingest: dict | None) -> dict:
    n = args.appeals_kafka
    runs = []
    for r in range(args.runs):
        log(f"[kafka {r + 1}/{args.runs}] {n} appeals produced to a dev broker ({args.kafka_partitions} partitions), "
            f"read by a raw consumer, then consumed and committed by the engine (load {load()})")
        cmd = [str(bins / "bench_kafka"), "--appeals", str(n), "--tmp", str(tmp), "--threads", str(args.threads),
               "--partitions", str(args.kafka_partitions)]
        if args.smoke:
            cmd.append("--smoke")
        elif n >= 50000:
            cmd.append("--progress")
        runs.append(run_json(cmd))
        check_recording(runs[-1], f"kafka {r + 1}")
    # Each run's baseline is the slower of its raw consumer and raw RocksDB replaying that
    # run's own batches; the ingest benchmark's raw rate (other batches: see the table) is
    # shown beside it.
    return {
        "runs": runs,
        "engine_per_second": spread([x["engine_per_second"] for x in runs]),
        "raw_consumer_per_second": spread([x["raw_consumer_per_second"] for x in runs]),
        "raw_rocksdb_per_second": spread([x["raw_rocksdb_per_second"] for x in runs]),
        "ingest_raw_rocksdb_per_second": ingest["async"]["raw_per_second"] if ingest else None,
        "baseline_per_second": spread([min(x["raw_consumer_per_second"], x["raw_rocksdb_per_second"]) for x in runs]),
        "ratio": spread([x["ratio"] for x in runs]),
        "appeals_per_batch": spread([x["appeals_per_batch"] for x in runs]),
        "engine_cpu_us_per_appeal": spread([x["engine_cpu_us_per_appeal"] for x in runs]),
        "raw_consumer_cpu_us_per_appeal": spread([x["raw_consumer_cpu_us_per_appeal"] for x in runs]),
        "raw_rocksdb_cpu_us_per_appeal": spread([x["raw_rocksdb_cpu_us_per_appeal"] for x in runs]),
        "created": runs[0]["created"], "joined": runs[0]["joined"], "dead_lettered": runs[0]["dead_lettered"],
    }


# ------------------------------------------------------------------------------ http


def bench_config(tmp: Path, durability: str, window: str) -> Path:
    cfg = SOURCE / "config"
    path = tmp / "bench-doorstep.yaml"
    path.write_text(f"""# Written by tests/bench/run.py: the demo config with the benchmark's durability and
# duplicate window (see docs/performance.md).
engine:
  partitions: 8
  data_dir: {tmp / 'data'}
  durability: {durability}
  group_commit_max: 256
  max_returns: 2
  fallback_unit: yanling-office
duplicates:
  scope: compound
  window: {window}
  hot_spot_joins: 3
files:
  calendars: {cfg / 'calendar-2026.yaml'}
  jurisdictions: {cfg / 'jurisdictions.yaml'}
  categories: {cfg / 'categories.yaml'}
  sla: {cfg / 'sla.yaml'}
  routing: {cfg / 'routing.yaml'}
""")
    return path


class server:
    """A server process we started; stopped (by its own pid) when the block ends."""

    def __init__(self, cmd: list[str], ready: str):
        self.cmd, self.ready = cmd, re.compile(ready)

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 30
        seen = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            m = self.ready.search(line)
            if m:
                self.port = int(m.group(1))
                return self
        self.proc.kill()
        raise BenchError(f"{self.cmd[0]} did not start:\n{''.join(seen)[-2000:]}")

    def __exit__(self, exc_type, *_):
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise BenchError(f"{self.cmd[0]} did not stop within 30 s of SIGTERM")
        # A clean stop is part of the benchmark passing (sanitizer builds report leaks here).
        if self.proc.returncode != 0 and exc_type is None:
            raise BenchError(f"{self.cmd[0]} exited with {self.proc.returncode}:\n{out[-2000:]}")


def wrk(port: int, args, bodies: Path, seconds: int, rate_per_thread: float | None) -> dict:
    env = dict(os.environ)
    if rate_per_thread:
        env["DOORSTEP_BENCH_RATE"] = f"{rate_per_thread:.3f}"
    cmd = [args.wrk, f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", str(SCRIPT), f"http://127.0.0.1:{port}", "--", str(bodies), "demo-operator"]
    res = run_json(cmd, env=env, timeout=seconds + 60)
    errors = sum(res["errors"].values())
    if errors:
        raise BenchError(f"wrk saw errors against port {port}: {res['errors']}")
    if res["requests"] == 0:
        raise BenchError(f"wrk completed no requests against port {port}")
    return res


APPEALS_LATENCY = 'doorstep_http_request_duration_seconds_bucket{route="/api/v1/appeals",le="'


def appeals_latency_buckets(port: int) -> dict[str, float]:
    """The engine's own histogram of POST /api/v1/appeals handling time (from the request
    read to its answer, before the answer is written), cumulative, by upper bound."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    buckets = {}
    for line in text.splitlines():
        if line.startswith(APPEALS_LATENCY):
            le, value = line[len(APPEALS_LATENCY):].split('"}')
            buckets[le] = float(value)
    if "+Inf" not in buckets or "0.005" not in buckets:
        raise BenchError(f"the server on port {port} reports no latency histogram for POST /api/v1/appeals")
    return buckets


def http_phases(port: int, args, bodies: Path, engine: bool) -> dict:
    log(f"  warm-up {args.http_warmup} s")
    wrk(port, args, bodies, args.http_warmup, None)
    peak = wrk(port, args, bodies, args.http_seconds, None)
    phases = {"peak": peak}
    for share in (0.5, 1.0):
        target = peak["per_second"] * share
        log(f"  paced at {int(share * 100)}% of peak: {target:.0f}/s")
        before = appeals_latency_buckets(port) if engine else None
        res = wrk(port, args, bodies, args.http_seconds, target / args.wrk_threads)
        if engine:
            # wrk's latency includes its own wait for a core on the machine it shares; the
            # server's histogram over the same phase says how much of the tail is the server's.
            after = appeals_latency_buckets(port)
            handled = after["+Inf"] - before["+Inf"]
            within = after["0.005"] - before["0.005"]
            res["server_over_5ms"] = (handled - within) / handled if handled else 0.0
        res["target_per_second"] = target
        phases[f"at_{int(share * 100)}"] = res
    return phases


def run_http(bins: Path, args, tmp: Path) -> dict:
    bodies = tmp / "bodies.jsonl"
    subprocess.run([str(bins / "bench_ingest"), "--write-bodies", str(bodies)], check=True)
    config = bench_config(tmp, args.http_durability, args.http_window)
    doorstep = bins.parent.parent / "engine" / "doorstep"
    runs = []
    for r in range(args.http_runs):
        run = {}
        data = tmp / f"http-data-{r}"
        log(f"[http {r + 1}/{args.http_runs}] doorstep serve (durability {args.http_durability}, "
            f"duplicate window {args.http_window}) (load {load()})")
        with server([str(doorstep), "--config", str(config), "serve", "--listen", "127.0.0.1:0", "--data", str(data),
                     "--demo-tokens", "--rate", "1000000", "--threads", str(args.threads)],
                    r"serving on http://[\d.]+:(\d+)") as s:
            run["engine"] = http_phases(s.port, args, bodies, engine=True)
        shutil.rmtree(data, ignore_errors=True)
        log(f"[http {r + 1}/{args.http_runs}] trivial Beast handler (load {load()})")
        with server([str(bins / "bench_trivial_http"), "--threads", str(args.threads)], r"listening on [\d.]+:(\d+)") as s:
            run["baseline"] = http_phases(s.port, args, bodies, engine=False)
        runs.append(run)

    def pick(side, phase, key):
        return spread([r[side][phase][key] for r in runs])

    return {
        "runs": runs,
        "peak": pick("engine", "peak", "per_second"),
        "baseline_peak": pick("baseline", "peak", "per_second"),
        "ratio": spread([r["engine"]["peak"]["per_second"] / r["baseline"]["peak"]["per_second"] for r in runs]),
        "latency": {side: {ph: {"p50_us": pick(side, ph, "p50_us"), "p99_us": pick(side, ph, "p99_us"),
                                "per_second": pick(side, ph, "per_second")}
                           for ph in ("peak", "at_50", "at_100")} for side in ("engine", "baseline")},
        "server_over_5ms": {ph: pick("engine", ph, "server_over_5ms") for ph in ("at_50", "at_100")},
    }


# ------------------------------------------------------------------------------ table


def fmt(v: float, unit: str = "") -> str:
    if unit == "ratio":
        return f"{v:.2f}"
    if unit == "ms":
        return f"{v / 1000:.2f}"
    if unit == "percent":
        return f"{v * 100:.2f}"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def cell(s: dict, unit: str = "") -> str:
    if s["n"] == 1:
        return fmt(s["median"], unit)
    return f"{fmt(s['median'], unit)} [{fmt(s['min'], unit)}..{fmt(s['max'], unit)}]"


def verdict(ok: bool, smoke: bool) -> str:
    return "n/a (smoke)" if smoke else ("met" if ok else "MISSED")


def table(res: dict, smoke: bool) -> str:
    lines = []
    m = res["machine"]
    lines.append(f"Doorstep benchmarks  {m['started']}  commit {m['commit']}  build {res['build']}")
    lines.append(f"machine: {m['cpus']} x {m['cpu']}, {m['memory_gib']} GiB, Linux {m['kernel']}; "
                 f"load at start {res['load_start']}, at end {res['load_end']}")
    if smoke:
        lines.append("SMOKE RUN: every benchmark once at tiny sizes. NOT A MEASUREMENT; do not compare these numbers.")
    else:
        lines.append(f"values: median [min..max] over {res['runs']} runs")
    lines.append("")
    if "micro" in res:
        lines.append(f"{'micro benchmark':44} {'ns/op':>28}")
        for name, s in res["micro"]["ns_per_op"].items():
            lines.append(f"  {name:42} {cell(s):>28}")
        lines.append("")
    rows = []
    if "ingest" in res:
        for mode, label in (("async", "ingest, WAL without sync"), ("sync", "ingest, WAL synced group commit")):
            g = res["ingest"][mode]
            target = 0.5 if mode == "async" else 0.8
            rows.append((f"{label} (appeals/s)", cell(g["engine_per_second"]), cell(g["raw_per_second"]),
                         cell(g["ratio"], "ratio"), f">= {target:.2f}",
                         verdict(g["ratio"]["median"] >= target, smoke)))
            rows.append((f"  appeals per group commit", cell(g["appeals_per_batch"]), "same batches", "", "", ""))
            if mode == "async":
                rows.append(("  outbox read back as a lagging relay reads it (entries/s)",
                             cell(g["outbox_read_per_second"]), "", "", "", ""))
        a = res["ingest"]["async"]["engine_per_second"]
        rows.append(("ingest absolute, no sync (appeals/s)", cell(a), "", "", ">= 50,000",
                     verdict(a["median"] >= 50000, smoke)))
    if "metrics" in res:
        g = res["metrics"]
        rows.append(("ingest metrics on vs off (appeals/s)", cell(g["on_per_second"]), cell(g["off_per_second"]),
                     cell(g["ratio"], "ratio"), ">= 0.95", verdict(g["ratio"]["median"] >= 0.95, smoke)))
    if "kafka" in res:
        g = res["kafka"]
        rows.append(("Kafka ingest, WAL without sync (appeals/s)", cell(g["engine_per_second"]),
                     cell(g["baseline_per_second"]), cell(g["ratio"], "ratio"), ">= 0.50",
                     verdict(g["ratio"]["median"] >= 0.50, smoke)))
        rows.append(("  raw librdkafka consumer (messages/s)", "", cell(g["raw_consumer_per_second"]), "", "", ""))
        rows.append(("  raw RocksDB, its own batches, no sync (appeals/s)", "", cell(g["raw_rocksdb_per_second"]),
                     "", "", ""))
        ing = g["ingest_raw_rocksdb_per_second"]
        rows.append(("  raw RocksDB, the ingest run's batches (appeals/s)", "",
                     cell(ing) if ing else "not run (--only lacks ingest)", "", "", ""))
        rows.append(("  appeals per group commit", cell(g["appeals_per_batch"]), "same batches", "", "", ""))
        rows.append(("  CPU per appeal, whole process (us)", cell(g["engine_cpu_us_per_appeal"]),
                     f"{cell(g['raw_consumer_cpu_us_per_appeal'])} / {cell(g['raw_rocksdb_cpu_us_per_appeal'])}",
                     "", "", ""))
        rows.append(("  tickets / joins / dead letters", f"{g['created']} / {g['joined']} / {g['dead_lettered']}",
                     "", "", "", ""))
    if "http" in res:
        h = res["http"]
        rows.append(("HTTP POST /appeals peak (req/s)", cell(h["peak"]), cell(h["baseline_peak"]),
                     cell(h["ratio"], "ratio"), ">= 0.40", verdict(h["ratio"]["median"] >= 0.40, smoke)))
        for ph, label in (("at_50", "50%"), ("at_100", "100%")):
            e, b = h["latency"]["engine"][ph], h["latency"]["baseline"][ph]
            rows.append((f"  at {label} of peak: req/s", cell(e["per_second"]), cell(b["per_second"]), "", "", ""))
            rows.append((f"  at {label} of peak: p50 latency (ms)", cell(e["p50_us"], "ms"), cell(b["p50_us"], "ms"),
                         "", "", ""))
            ok = e["p99_us"]["median"] <= 5000
            rows.append((f"  at {label} of peak: p99 latency (ms)", cell(e["p99_us"], "ms"), cell(b["p99_us"], "ms"),
                         "", "<= 5 ms" if ph == "at_50" else "",
                         verdict(ok, smoke) if ph == "at_50" else ""))
            rows.append((f"  at {label} of peak: handled in the server over 5 ms (%)",
                         cell(h["server_over_5ms"][ph], "percent"), "", "", "", ""))
    if "scale" in res:
        rows.extend(scale_bench.rows(res["scale"], cell, verdict, smoke))
    if rows:
        head = ("end-to-end", "engine", "baseline", "ratio", "target", "verdict")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(6)]
        lines.append("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths))))
        for r in rows:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


EXPECTED_MICRO = ("domain/decide_apply/submit", "domain/decide_apply/timer_fired", "codec/decode_appeal",
                  "codec/encode_event", "codec/encode_snapshot", "codec/decode_snapshot", "routing/route",
                  "calendar/add_working_days/20", "timer/arm_cancel", "timer/next_due_lookup", "timer/fire")
EXPECTED_ROWS = {
    "ingest": ("ingest, WAL without sync", "ingest, WAL synced group commit", "ingest absolute", "outbox read back"),
    "metrics": ("metrics on vs off",),
    "http": ("HTTP POST /appeals peak", "at 50% of peak: p99", "at 100% of peak: p99",
             "at 50% of peak: handled in the server over 5 ms"),
    "kafka": ("Kafka ingest, WAL without sync", "raw librdkafka consumer", "raw RocksDB, its own batches"),
}


def check_complete(res: dict, text: str, only: set[str]) -> None:
    """Every benchmark asked for produced its numbers and its row (what bench_smoke proves)."""
    if "micro" in only:
        names = res["micro"]["ns_per_op"].keys()
        for want in EXPECTED_MICRO:
            if not any(n.startswith(want) for n in names):
                raise BenchError(f"micro benchmark {want} produced no result")
    for part, rows in {**EXPECTED_ROWS, "scale": scale_bench.EXPECTED_ROWS}.items():
        for row in rows if part in only else ():
            if row not in text:
                raise BenchError(f"the table has no row '{row}'")


# ------------------------------------------------------------------------------ main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", type=Path, default=SOURCE / "build" / "release")
    p.add_argument("--smoke", action="store_true", help="each benchmark once at tiny sizes (any build; not a measurement)")
    p.add_argument("--only", default="micro,ingest,metrics,http,kafka,scale", help="comma-separated subset")
    p.add_argument("--runs", type=int, default=5, help="repetitions of every measurement (median, min, max)")
    p.add_argument("--appeals", type=int, default=100000, help="appeals per ingest run (no sync)")
    p.add_argument("--appeals-sync", type=int, default=100000, help="appeals per synced ingest run")
    p.add_argument("--appeals-kafka", type=int, default=100000, help="appeals per Kafka ingest run")
    p.add_argument("--kafka-partitions", type=int, default=8, help="partitions of the dev broker's topics and the engine")
    p.add_argument("--threads", type=int, default=2, help="engine / server threads")
    p.add_argument("--micro-min-time", default="0.5", help="Google Benchmark --benchmark_min_time (seconds)")
    p.add_argument("--http-runs", type=int, default=3)
    p.add_argument("--http-seconds", type=int, default=10)
    p.add_argument("--http-warmup", type=int, default=3)
    p.add_argument("--http-durability", default="async", choices=["async", "sync"])
    p.add_argument("--http-window", default="2s", help="duplicate window of the HTTP server's config")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    p.add_argument("--scale-tickets", type=int, default=1000000, help="open tickets in the scale-of-state store")
    p.add_argument("--scale-stream-share", type=float, default=0.005,
                   help="share of the tickets created in the last 2 h on 24x7 policies (the live timers)")
    p.add_argument("--scale-keep", type=Path,
                   help="keep the filled store here and reuse it on later runs of the same size (fill once)")
    p.add_argument("--scale-worklist-requests", type=int, default=200)
    p.add_argument("--scale-stats-requests", type=int, default=50)
    p.add_argument("--scale-budget", type=float, default=60,
                   help="seconds per query series at most (at least 5 requests are timed)")
    p.add_argument("--scale-window", type=float, default=30, help="firing-lag window, at least (seconds)")
    p.add_argument("--scale-ready-timeout", type=float, default=600)
    p.add_argument("--scale-drain-timeout", type=float, default=300)
    p.add_argument("--scale-event-tickets", type=int, default=500, help="stream tickets read for the lag cross-check")
    p.add_argument("--json", type=Path, help="also write every number to this file")
    p.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    args = p.parse_args()

    kind, sanitized = build_kind(args.build_dir)
    build = kind + ("+sanitizers" if sanitized else "")
    if not args.smoke and build != "Release":
        log(f"run.py: refusing to compare a {build} build ({args.build_dir}); benchmarks measure the release "
            f"preset (tests/bench/run.sh). Use --smoke to check that the benchmarks run.")
        return 2
    if args.smoke:
        args.runs, args.http_runs, args.appeals, args.appeals_sync, args.appeals_kafka = 1, 1, 300, 300, 300
        args.http_seconds, args.http_warmup, args.connections = 1, 1, 8
        args.micro_min_time = "0.001"
        args.scale_tickets, args.scale_worklist_requests, args.scale_stats_requests = 2000, 20, 10
        args.scale_window, args.scale_budget, args.scale_stream_share, args.scale_event_tickets = 2, 5, 0.5, 100
    bins = args.build_dir / "tests" / "bench"
    only = set(args.only.split(","))
    res: dict = {"machine": machine(), "build": build, "runs": args.runs, "load_start": load(), "smoke": args.smoke,
                 "settings": {k: str(v) for k, v in vars(args).items()}}
    tmp = Path(tempfile.mkdtemp(prefix="doorstep-bench-", dir=args.tmp))
    try:
        if "micro" in only:
            res["micro"] = run_micro(bins, args)
            if not args.smoke and res["micro"]["build"] != "Release":
                raise BenchError(f"bench_micro reports a {res['micro']['build']} build")
        if "ingest" in only:
            res["ingest"] = run_ingest(bins, args, tmp)
            if not args.smoke and res["ingest"]["async"]["runs"][0]["build"] != "Release":
                raise BenchError("bench_ingest is not a Release build")
        if "metrics" in only:
            res["metrics"] = run_metrics(bins, args, tmp)
        if "http" in only:
            res["http"] = run_http(bins, args, tmp)
        if "kafka" in only:
            res["kafka"] = run_kafka(bins, args, tmp, res.get("ingest"))
            if not args.smoke and res["kafka"]["runs"][0]["build"] != "Release":
                raise BenchError("bench_kafka is not a Release build")
        if "scale" in only:
            config = bench_config(tmp, "async", "1s")
            res["scale"] = scale_bench.run_scale(bins, bins.parent.parent / "engine" / "doorstep", config, tmp, args)
            res["scale"]["summary"] = scale_bench.summarize(res["scale"])
            if not args.smoke and res["scale"]["fill"]["build"] != "Release":
                raise BenchError("bench_scale_fill is not a Release build")
        res["load_end"] = load()
        text = table(res, args.smoke)
        check_complete(res, text, only)
    except (BenchError, scale_bench.ScaleError, subprocess.TimeoutExpired) as e:
        log(f"run.py: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
