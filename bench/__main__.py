"""Run the ivigtrack benchmarks: `python -m bench [--scale 1,10,100] [--quick]` (or `make bench`).

Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench; the database is
dropped and created again, so its name must start with "bench"), Redis (REDIS_URL, default
redis://127.0.0.1:6379/5) and `hey` (Debian package hey). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"

# Targets of the performance issue, checked on every run. Pages are read against the empty page of
# their own role (its shell), shells against the trivial floor; all at the largest scale.
SHELL_P50_X_FLOOR = 1.6
PAGE_P50_X_SHELL = 3.0
PAGE_P95_X_SHELL = 4.0
DISPATCH_X_FLOOR = 0.5
SEVERE_P95_SECONDS = 2.0
GROWTH_LIMIT = 1.2


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        default=None,
        help="data sizes to time the pages at, in clinics of 100 "
        "patients: 100 = the full network (1M reports). Default 1,10,100 (--quick: 1,10)",
    )
    parser.add_argument("--quick", action="store_true", help="short runs: 3 s per page, 2,000 prompts, 20 alerts")
    parser.add_argument("--duration", type=float, default=None, help="seconds of load per page (default 10, quick 3)")
    parser.add_argument("--concurrency", type=int, default=2, help="hey's concurrent clients (default 2)")
    parser.add_argument("--prompts", type=int, default=None, help="due follow-up prompts to dispatch (default 10000)")
    parser.add_argument("--alerts", type=int, default=None, help="severe reports to time (default 100)")
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = parser.parse_args()
    args.scales = [int(s) for s in (args.scale or ("1,10" if args.quick else "1,10,100")).split(",")]
    if args.scales != sorted(args.scales):
        parser.error("--scale must grow: the generator adds clinics to what is there")
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.prompts = args.prompts or (2000 if args.quick else 10000)
    args.alerts = args.alerts or (20 if args.quick else 100)
    return args


def _reset_database(url: str, prefix: str = "bench") -> None:
    """Drop and create the database of a bench tool; its name must start with the tool's prefix."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith(prefix):
        sys.exit(f"Refusing to drop database {name!r}: the {prefix} database's name must start with {prefix!r}.")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: on a shared machine, how much else was running."""
    return [round(load, 2) for load in os.getloadavg()]


def _machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024),
        "python": platform.python_version(),
    }


def main() -> None:
    args = _args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")})
    sys.path.insert(0, str(ROOT))
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    print(f"ivigtrack bench: scales {args.scales}, {args.duration:g} s per page, concurrency {args.concurrency}")
    print(f"  database {env['DATABASE_URL']} (dropped and created), redis {env['REDIS_URL']}")
    _reset_database(env["DATABASE_URL"])
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0", "--clear"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.db import connection

    from bench import engine, generate, web

    results: dict = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**_machine(), "load_average_start": _load_average()},
        "settings": {
            "scales": args.scales,
            "duration_s": args.duration,
            "concurrency": args.concurrency,
            "gunicorn_workers": 2,
            "prompts": args.prompts,
            "alerts": args.alerts,
            "quick": args.quick,
        },
        "generator": [],
        "web": {},
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        results["machine"]["postgresql"] = cursor.fetchone()[0].split()[0]
    try:
        import redis

        results["machine"]["redis"] = redis.Redis.from_url(env["REDIS_URL"]).info("server")["redis_version"]
    except Exception:
        pass

    for scale in args.scales:
        print(f"\n== scale {scale}x: {scale} clinic(s), {scale * 10_000:,} reports")
        gen = generate.grow_to(scale)
        if gen.total_rows:
            rate = gen.total_rows / gen.seconds
            print(
                f"  generated {gen.total_rows:,} rows in {gen.seconds:.1f} s ({rate:,.0f} rows/s): {gen.rows}; "
                f"then VACUUM (ANALYZE) {gen.vacuum_seconds:.1f} s"
            )
            results["generator"].append(
                {
                    "to_scale": scale,
                    "rows": gen.rows,
                    "total_rows": gen.total_rows,
                    "seconds": round(gen.seconds, 2),
                    "rows_per_s": round(rate),
                    "vacuum_seconds": round(gen.vacuum_seconds, 2),
                }
            )
        connection.close()
        if not args.skip_web:
            results["web"][str(scale)] = web.run(env=env, duration=args.duration, concurrency=args.concurrency)

    if not args.skip_engine:
        print("\n== engine")
        results["engine"] = engine.run(env=env, prompts=args.prompts, alerts=args.alerts)

    results["targets"] = _targets(results, args)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["machine"]["load_average_end"] = _load_average()
    print()
    print(format_table(results))
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten {out} in {results['total_seconds']:.0f} s")


def _targets(results: dict, args: argparse.Namespace) -> list[dict]:
    checks = []
    web_runs = results.get("web") or {}
    if web_runs:
        full, base = web_runs[str(max(args.scales))], web_runs[str(min(args.scales))]
        for row in full:
            if row["kind"] == "shell":
                checks.append(
                    {
                        "target": f"{row['page']}: p50 <= {SHELL_P50_X_FLOOR:g}x trivial floor",
                        "value": row["p50_x_floor"],
                        "met": row["p50_x_floor"] <= SHELL_P50_X_FLOOR,
                    }
                )
            elif row["kind"] == "page":
                checks.append(
                    {
                        "target": f"{row['page']}: p50 <= {PAGE_P50_X_SHELL:g}x {row['role']} shell",
                        "value": row["p50_x_shell"],
                        "met": row["p50_x_shell"] <= PAGE_P50_X_SHELL,
                    }
                )
                checks.append(
                    {
                        "target": f"{row['page']}: p95 <= {PAGE_P95_X_SHELL:g}x {row['role']} shell",
                        "value": row["p95_x_shell"],
                        "met": row["p95_x_shell"] <= PAGE_P95_X_SHELL,
                    }
                )
        if len(web_runs) > 1:
            for big, small in zip(full, base, strict=True):
                growth = round(big["p50_ms"] / small["p50_ms"], 2)
                big["p50_growth"] = growth
                checks.append(
                    {
                        "target": f"{big['page']}: p50 at {max(args.scales)}x <= {GROWTH_LIMIT:g}x p50 at "
                        f"{min(args.scales)}x",
                        "value": growth,
                        "met": growth <= GROWTH_LIMIT,
                    }
                )
    eng = results.get("engine")
    if eng:
        ratio = eng["dispatch"]["x_floor"]
        checks.append(
            {
                "target": f"dispatcher >= {DISPATCH_X_FLOOR:.0%} of SMTP floor throughput",
                "value": ratio,
                "met": ratio >= DISPATCH_X_FLOOR,
            }
        )
        p95 = eng["severe_alert"]["p95_s"]
        checks.append(
            {
                "target": f"severe alert e-mail p95 < {SEVERE_P95_SECONDS:g} s",
                "value": p95,
                "met": p95 < SEVERE_P95_SECONDS,
            }
        )
    return checks


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def format_table(results: dict) -> str:
    lines = []
    m = results["machine"]
    lines.append(
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, PostgreSQL {m.get('postgresql', '?')}, "
        f"Redis {m.get('redis', '?')}, Python {m['python']}"
    )
    if "load_average_start" in m:
        lines.append(
            f"Load average (1, 5, 15 min) on {m['cores']} cores: {m['load_average_start']} at the start, "
            f"{m.get('load_average_end', '?')} at the end"
        )
    for g in results["generator"]:
        lines.append(
            f"Generator (to {g['to_scale']}x): {g['total_rows']:,} rows in {g['seconds']} s "
            f"({g['rows_per_s']:,} rows/s)"
        )
    web_runs = results.get("web") or {}
    if web_runs:
        scales = sorted(web_runs, key=int)
        full = web_runs[scales[-1]]
        s = results["settings"]
        lines.append("")
        lines.append(
            f"Web at {scales[-1]}x ({s['gunicorn_workers']} gunicorn workers, hey -c {s['concurrency']}, "
            f"{s['duration_s']:g} s per page):"
        )
        header = (
            "| page | role | p50 ms | p95 ms | p99 ms | req/s | p50 × floor | p50 × shell | p95 × shell | "
            + " | ".join(f"p50 ms at {sc}x" for sc in scales)
            + f" | {scales[-1]}x/{scales[0]}x |"
        )
        lines.append(header)
        lines.append("|" + "---|" * (header.count("|") - 1))

        for i, row in enumerate(full):
            per_scale = " | ".join(f"{web_runs[sc][i]['p50_ms']:.1f}" for sc in scales)
            lines.append(
                f"| {row['page']} | {row['role'] or '—'} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['throughput_rps']:.0f} | {row['p50_x_floor']:.2f} | "
                f"{_ratio(row['p50_x_shell'])} | {_ratio(row['p95_x_shell'])} | {per_scale} | "
                f"{_ratio(row.get('p50_growth'))} |"
            )
    eng = results.get("engine")
    if eng:
        d, f, a = eng["dispatch"], eng["floor"], eng["severe_alert"]
        lines.append("")
        lines.append("| engine | messages | seconds | msg/s | × floor |")
        lines.append("|---|---|---|---|---|")
        lines.append(
            f"| dispatcher (Celery worker, 2 processes) | {d['messages']} | {d['seconds']:.2f} | "
            f"{d['throughput']:.0f} | {d['x_floor']:.2f} |"
        )
        lines.append(
            f"| floor: one SMTP connection, no database | {f['messages']} | {f['seconds']:.2f} | "
            f"{f['throughput']:.0f} | 1.00 |"
        )
        lines.append("")
        lines.append(
            f"Severe report -> clinician e-mail over {a['reports']} reports: p50 {a['p50_s'] * 1000:.0f} ms, "
            f"p95 {a['p95_s'] * 1000:.0f} ms, max {a['max_s'] * 1000:.0f} ms"
        )
    targets = results.get("targets") or []
    if targets:
        lines.append("")
        met = sum(t["met"] for t in targets)
        lines.append(f"Targets: {met}/{len(targets)} met")
        for t in targets:
            lines.append(f"  [{'ok' if t['met'] else 'MISSED'}] {t['target']}: {t['value']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
