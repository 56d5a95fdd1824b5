"""Summarise bench/servers/run.sh: one Markdown row per server, process count, path and round."""

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "submit"))
from report import parse  # bench/submit/report.py: reads wrk's output

PATHS = {"catalogue": "public: /procedures/", "mine": "logged in: /applications/", "insert": "bare insert"}
LABELS = {"gunicorn-sync": "gunicorn sync", "gunicorn-gthread": "gunicorn gthread", "granian": "granian WSGI"}


def memory(path: Path) -> tuple[int, int, int]:
    """(processes, RSS of the largest process in MB, total RSS in MB) of one server."""
    sizes = [int(line.split()[1]) for line in path.read_text().splitlines() if line.strip()]
    return len(sizes), round(max(sizes) / 1024), round(sum(sizes) / 1024)


def main(directory: str, threads: str, connections: str, duration: str) -> None:
    out = Path(directory)
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on PostgreSQL, wrk 2 threads, {connections} connections, "
        f"{duration} per path; gthread and granian with {threads} threads per process.",
        "",
        "| server | processes × threads | path | round | requests/s | p50 (ms) | p99 (ms) | errors | "
        "RSS: processes, largest, total (MB) | load |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    tags = sorted({re.sub(r"-(catalogue|mine|insert|rss)\.txt$", "", p.name) for p in out.glob("*-rss.txt")})
    order = {k: i for i, k in enumerate(LABELS)}
    tags.sort(key=lambda t: (int(re.search(r"-n(\d+)-", t).group(1)), order[t.rsplit("-n", 1)[0]], t))
    for tag in tags:
        kind, n, rnd = re.match(r"(.+)-n(\d+)-r(\d+)$", tag).groups()
        shape = f"{n} × 1" if kind == "gunicorn-sync" else f"{n} × {threads}"
        procs, largest, total = memory(out / f"{tag}-rss.txt")
        load = (out / f"{tag}-load.txt").read_text().strip()
        for key, label in PATHS.items():
            r = parse(out / f"{tag}-{key}.txt")
            lines.append(
                f"| {LABELS[kind]} | {shape} | {label} | {rnd} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
                f"{r['errors'] + r['socket_errors']} | {procs}, {largest}, {total} | {load} |"
            )
    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(*sys.argv[1:5])
