"""Summarise wrk's output of the submit benchmark as a Markdown table (printed, and saved)."""

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse(path: Path) -> dict:
    text = path.read_text()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    latency = {}
    for pct, value, unit in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", text, re.M):
        latency[pct] = float(value) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    total = re.search(r"(\d+) requests in", text).group(1)
    unexpected = re.search(r"Unexpected responses: (\d+)", text)
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"), "requests": int(total),
            "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": sum(int(x) for x in socket.groups()) if socket else 0,
            "unexpected": int(unexpected.group(1)) if unexpected else 0}  # fmt: skip


def main(directory: str) -> None:
    out = Path(directory)
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, gunicorn 4 sync workers, wrk 2 threads, 32 connections, 10 s each.",
        "",
        "| database | path | requests/s | p50 (ms) | p99 (ms) | errors | ratio to bare insert |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for db in ("sqlite", "postgres"):
        submit, insert = parse(out / f"{db}-submit.txt"), parse(out / f"{db}-insert.txt")
        created = (out / f"{db}-submissions-created.txt").read_text().strip()
        lines.append(
            f"| {db} | full submit (罹災証明) | {submit['rps']:.0f} | {submit['p50']:.1f} | {submit['p99']:.1f} | "
            f"{submit['errors'] + submit['socket_errors']} | {submit['rps'] / insert['rps']:.2f} |"
        )
        lines.append(
            f"| {db} | bare view, one insert | {insert['rps']:.0f} | {insert['p50']:.1f} | {insert['p99']:.1f} | "
            f"{insert['errors'] + insert['socket_errors']} | 1.00 |"
        )
        lines.append(
            f"| {db} | submissions created by the measured requests | {created} of {submit['requests']} | | | | |"
        )
    report = "\n".join(lines) + "\n"
    (out / "submit-latest.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main(sys.argv[1])
