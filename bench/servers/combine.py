"""Combine several runs of bench/servers/run.sh (their result directories) into one compact table:
every round of every run side by side, so the spread between rounds shows how noisy the machine was.

    .venv/bin/python bench/servers/combine.py bench/results/servers-run1 bench/results/servers
"""

import importlib.util
import re
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location("servers_report", Path(__file__).with_name("report.py"))
_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_report)
LABELS, PATHS, memory, parse = _report.LABELS, _report.PATHS, _report.memory, _report.parse


def bad(result: dict) -> bool:
    return result["errors"] + result["socket_errors"] > 0


def main(directories: list[str]) -> None:
    samples: dict[tuple, list] = {}
    for directory in directories:
        for rss in sorted(Path(directory).glob("*-rss.txt")):
            tag = rss.name.removesuffix("-rss.txt")
            kind, n, _round = re.match(r"(.+)-n(\d+)-r(\d+)$", tag).groups()
            _procs, largest, _total = memory(rss)
            load = float((rss.parent / f"{tag}-load.txt").read_text())
            for key in PATHS:
                samples.setdefault((int(n), kind, key), []).append(
                    (parse(rss.parent / f"{tag}-{key}.txt"), largest, load)
                )
    order = {k: i for i, k in enumerate(LABELS)}
    lines = [
        "| processes | server | path | requests/s (each round) | p50 ms (each round) | p99 ms (each round) "
        "| errors | RSS per worker (MB) | load average |",
        "| ---: | --- | --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    for n, kind, key in sorted(samples, key=lambda k: (k[0], list(PATHS).index(k[2]), order[k[1]])):
        rows = samples[(n, kind, key)]
        # A round with errors is not a measurement of the server (e.g. 500s because the code under test
        # changed during the run): shown as "–", its errors counted.
        rps = " / ".join("–" if bad(r) else f"{r['rps']:.0f}" for r, _m, _l in rows)
        p50 = " / ".join("–" if bad(r) else f"{r['p50']:.0f}" for r, _m, _l in rows)
        p99 = " / ".join("–" if bad(r) else f"{r['p99']:.0f}" for r, _m, _l in rows)
        errors = sum(r["errors"] + r["socket_errors"] for r, _m, _l in rows)
        rss = max(m for _r, m, _l in rows)
        load = f"{min(x for _r, _m, x in rows):.0f}–{max(x for _r, _m, x in rows):.0f}"
        lines.append(
            f"| {n} | {LABELS[kind]} | {PATHS[key]} | {rps} | {p50} | {p99} | {errors} | {rss} | {load} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
