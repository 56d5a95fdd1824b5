"""Helpers of bench/surge/run.sh: the database side of each phase, CPU per process kind, the checks of
the overload and replay phases, and the results table.

    surge.py take LINES N OUT          the first N lines of LINES whose draft still exists -> OUT
    surge.py count                     submissions in the database
    surge.py cpu OUT.json              CPU seconds so far per kind of process (postgres, web, worker, wrk)
    surge.py phase NAME DIR SECONDS    read DIR/*.json (wrk), DIR/cpu-*.json and DIR/count-*; check the
                                       acknowledged submissions against the stored ones; append the
                                       phase to var/bench/surge-phases.jsonl
    surge.py replay LINES              verify the replayed drafts: each stored exactly once, with a case
                                       in 資産税課 and counted in the triage view
    surge.py report                    the Markdown table on stdout and var/bench/surge-results.json

Needs DJANGO_SETTINGS_MODULE and DATABASE_URL (set by run.sh) for the commands that read the database.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PHASES = ROOT / "var" / "bench" / "surge-phases.jsonl"
RESULTS = ROOT / "var" / "bench" / "surge-results.json"


def _django():
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()


def _draft_id(line: str) -> str:
    return line.split()[1].split("/")[2]


def take(lines_file: str, count: str, out: str) -> None:
    _django()
    from madoguchi.submissions.models import Draft

    lines = Path(lines_file).read_text().splitlines()
    alive = {
        str(pk)
        for pk in Draft.objects.filter(
            pk__in=[_draft_id(line) for line in lines], accepted_at__isnull=True
        ).values_list("pk", flat=True)
    }
    chosen = [line for line in lines if _draft_id(line) in alive][: int(count)]
    Path(out).write_text("".join(f"{line}\n" for line in chosen))
    print(len(chosen))


def count() -> None:
    _django()
    from madoguchi.submissions.models import Submission

    print(Submission.objects.count())


def _kind(pid: str) -> str | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    if cmdline.startswith("postgres") or "/postgres " in cmdline or cmdline.startswith("/usr/lib/postgresql"):
        return "postgres"
    if "madoguchi.wsgi" in cmdline or "granian" in cmdline or "gunicorn" in cmdline:
        return "web"
    if "db_worker" in cmdline or "manage.py worker" in cmdline:
        return "worker"
    if cmdline.startswith("wrk ") or "/wrk " in cmdline:
        return "wrk"
    return "other"


def cpu(out: str) -> None:
    """CPU seconds (user + system) per process, with its kind, and the machine's busy seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    processes: dict[str, list] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        kind = _kind(entry.name)
        if kind is None:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        processes[entry.name] = [kind, (int(fields[11]) + int(fields[12])) / ticks]
    with open("/proc/stat") as handle:
        parts = handle.readline().split()[1:]
    busy = (sum(int(p) for p in parts) - int(parts[3]) - int(parts[4])) / ticks
    Path(out).write_text(json.dumps({"processes": processes, "machine_busy": busy, "at": time.time()}))


def _cpu_used(directory: Path) -> dict:
    """Cores used per kind over the phase: processes alive at both snapshots, and new ones in full."""
    before = json.loads((directory / "cpu-before.json").read_text())
    after = json.loads((directory / "cpu-after.json").read_text())
    wall = after["at"] - before["at"]
    used = dict.fromkeys(("postgres", "web", "worker", "wrk"), 0.0)
    for pid, (kind, seconds) in after["processes"].items():
        if kind in used:
            used[kind] += seconds - before["processes"].get(pid, [kind, 0.0])[1]
    used = {kind: round(value / wall, 2) for kind, value in used.items()}
    used["machine_busy"] = round((after["machine_busy"] - before["machine_busy"]) / wall, 2)
    used["other"] = round(
        max(0.0, used["machine_busy"] - sum(used[k] for k in ("postgres", "web", "worker", "wrk"))), 2
    )
    return used


def phase(name: str, directory: str, seconds: str) -> None:
    """Collect one phase; for the phases with submits, compare acknowledged with stored."""
    _django()
    from madoguchi.submissions.models import Draft, Submission

    directory = Path(directory)
    actions = []
    for path in sorted(directory.glob("wrk-*.json")):
        text = path.read_text().strip().splitlines()
        line = next((t for t in reversed(text) if t.startswith("{")), None)
        if line is None:
            actions.append({"action": path.stem[4:], "failed": "\n".join(text[-5:])})
            continue
        actions.append(json.loads(line))
    record = {"phase": name, "seconds": float(seconds), "actions": [], "load": os.getloadavg()}
    acked: set[str] = set()
    for action in actions:
        acked.update(action.pop("acked_ids", []) or [])
        record["actions"].append(action)
    submitted = directory / "submit-lines.txt"
    if submitted.exists():
        tokens = [
            line.split()[4].split("=", 1)[1] for line in submitted.read_text().splitlines() if line.strip()
        ]
        # Drafts first: a filing the worker makes meanwhile is then found among the submissions.
        waiting = {
            str(pk)
            for pk in Draft.objects.filter(
                submission_token__in=tokens, accepted_at__isnull=False
            ).values_list("submission_id", flat=True)
        }
        # Stored: made into a submission by the worker, or accepted and waiting for it (a draft
        # marked with the submission id the citizen was given: durable, in the queue).
        made = {
            str(pk)
            for pk in Submission.objects.filter(idempotency_key__in=tokens).values_list("pk", flat=True)
        }
        stored = made | waiting
        record["submits"] = {
            "acknowledged": len(acked),
            "stored": len(stored),
            "submissions_made": len(made),
            "accepted_waiting": len(waiting),
            "acknowledged_not_stored": len(acked - stored),
            "stored_not_acknowledged": len(stored - acked),
            "equal": acked == stored,
        }
    if (directory / "cpu-before.json").exists() and (directory / "cpu-after.json").exists():
        record["cpu_cores"] = _cpu_used(directory)
    extra = directory / "extra.json"
    if extra.exists():
        record.update(json.loads(extra.read_text()))
    with PHASES.open("a") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "actions"}, ensure_ascii=False))
    for action in record["actions"]:
        print(
            "  ",
            {
                k: action.get(k)
                for k in ("action", "requests", "rps", "p50_ms", "p99_ms", "errors", "statuses")
            },
        )


def drain(max_seconds: str, out: str = "") -> None:
    """Wait until the workers have made every accepted filing into its submission (or time is up);
    print (and write to ``out``) how long it took and how many were waiting at the start."""
    _django()
    from madoguchi.submissions.models import Draft

    started = time.monotonic()
    waiting_at_start = Draft.objects.filter(accepted_at__isnull=False).count()
    left = waiting_at_start
    while left and time.monotonic() - started < float(max_seconds):
        time.sleep(2)
        left = Draft.objects.filter(accepted_at__isnull=False).count()
    result = {"waiting_at_start": waiting_at_start, "left": left,
              "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
    if out:
        Path(out).write_text(json.dumps(result))
    print(json.dumps(result))


def replay(lines_file: str) -> None:
    """The 50,000 replay's checks: exactly once, a case in 資産税課, in the triage view's counts."""
    _django()
    from django.db.models import Count

    from madoguchi.cases.models import Case
    from madoguchi.submissions.models import Draft, Submission

    lines = [line for line in Path(lines_file).read_text().splitlines() if line.strip()]
    tokens = [line.split()[4].split("=", 1)[1] for line in lines]
    draft_ids = [_draft_id(line) for line in lines]
    submissions = Submission.objects.filter(idempotency_key__in=tokens)
    stored = submissions.count()
    receipts = submissions.values("receipt_number").distinct().count()
    keys = submissions.values("idempotency_key").distinct().count()
    left = Draft.objects.filter(pk__in=draft_ids).count()
    cases = Case.objects.filter(submission__in=submissions, department__code="shisanzei")
    with_case = cases.values("submission").distinct().count()
    duplicated_cases = cases.values("submission").annotate(n=Count("pk")).filter(n__gt=1).count()
    result = {
        "replayed": len(lines), "stored": stored, "unique_receipt_numbers": receipts, "unique_drafts": keys,
        "drafts_left": left, "with_case_in_shisanzei": with_case, "submissions_with_two_cases": duplicated_cases,
    }  # fmt: skip
    try:
        from madoguchi.disaster.models import TriageEntry
        from madoguchi.disaster.selectors import triage_summary
    except ImportError as exc:
        result["triage"] = f"absent: {exc}"
        triage_ok = False
    else:
        from madoguchi.organisations.models import Department

        department = Department.objects.get(code="shisanzei")
        summary = triage_summary(department=department)
        result["triage_summary_total"] = _triage_total(summary)
        result["open_risai_cases_in_shisanzei"] = (
            Case.objects.filter(
                department=department, procedure__slug="risai_shomei", closed_at__isnull=True
            ).count()
            if hasattr(Case, "closed_at")
            else None
        )
        result["replayed_in_triage"] = TriageEntry.objects.filter(
            case__submission__in=submissions, department=department, open=True
        ).count()
        triage_ok = (
            result["replayed_in_triage"] == stored
            and isinstance(result["triage_summary_total"], int)
            and (result["triage_summary_total"] >= stored)
        )
    result["exactly_once"] = (
        stored == receipts == keys and stored + left == len(lines) and duplicated_cases == 0
    )
    result["each_with_case_in_shisanzei"] = with_case == stored
    result["each_in_triage"] = triage_ok
    result["complete"] = stored == len(lines)
    result["ok"] = result["exactly_once"] and with_case == stored and triage_ok and result["complete"]
    (ROOT / "var" / "bench" / "surge-replay.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1)
    )
    print(json.dumps(result, ensure_ascii=False))


def _triage_total(summary) -> int | str:
    """The total number of applications in whatever shape triage_summary returns (rows with counts)."""
    if isinstance(getattr(summary, "total", None), int):
        return summary.total
    if isinstance(summary, dict):
        for key in ("total", "count"):
            if isinstance(summary.get(key), int):
                return summary[key]
        rows = summary.get("rows", summary.get("groups"))
        if rows is None:
            return f"unknown shape: {sorted(summary)[:8]}"
        summary = rows
    total = 0
    for row in summary:
        value = row.get("count", row.get("total")) if isinstance(row, dict) else getattr(row, "count", None)
        if not isinstance(value, int):
            return f"unknown row shape: {row!r}"[:200]
        total += value
    return total


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}"


def report() -> None:
    phases = [json.loads(line) for line in PHASES.read_text().splitlines() if line.strip()]
    replay_file = ROOT / "var" / "bench" / "surge-replay.json"
    out = {"phases": phases, "replay": json.loads(replay_file.read_text()) if replay_file.exists() else None}
    for name in ("phases", "replay"):  # how long the workers took to make the accepted filings submissions
        drained = ROOT / "var" / "bench" / "surge" / f"drain-{name}.json"
        out[f"drain_after_{name}"] = json.loads(drained.read_text()) if drained.exists() else None
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    rows = ["| phase | action | answers/s | successes/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | timeouts "
            "| answers by status |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
    rates = {}
    for p in phases:
        for a in p["actions"]:
            if "failed" in a:
                rows.append(
                    f"| {p['phase']} | {a['action']} | | wrk failed: {a['failed'][:80]} | | | | | | |"
                )
                continue
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(a["statuses"].items()))
            ok_rate = (
                a["ok"] / p["seconds"]
            )  # successes: 2xx, the log-in's 302, the submit's 302 to the receipt
            rows.append(
                f"| {p['phase']} | {a['action']} | {a['rps']:.1f} | {ok_rate:.1f} | {_ms(a['p50_ms'])} "
                f"| {_ms(a['p95_ms'])} | {_ms(a['p99_ms'])} | {_ms(a['max_ms'])} | {a['errors']['timeout']} | {statuses} |"
            )
            rates[(p["phase"], a["action"])] = ok_rate
    print("\n".join(rows))
    submit, bare = rates.get(("submit-only", "submit")), rates.get(("bare-only", "bare"))
    if submit and bare:
        print(f"\nRatio of the full 罹災証明 submit to the bare insert (successes per second; same run, same "
              f"server and clients): {submit:.1f} / {bare:.1f} = {submit / bare:.2f}")  # fmt: skip
    print(
        "\n| phase | acknowledged submits | stored (made into submissions, waiting in the queue) | equal | CPU cores: postgres | web | workers | wrk | other | load |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for p in phases:
        s = p.get("submits", {})
        c = p.get("cpu_cores", {})
        split = f" ({s['submissions_made']} made, {s['accepted_waiting']} waiting)" if s else ""
        print(f"| {p['phase']} | {s.get('acknowledged', '')} | {s.get('stored', '')}{split} | {s.get('equal', '')} "
              f"| {c.get('postgres', '')} | {c.get('web', '')} | {c.get('worker', '')} | {c.get('wrk', '')} "
              f"| {c.get('other', '')} | {' '.join(f'{x:.1f}' for x in p['load'])} |")  # fmt: skip
    for name in ("phases", "replay"):
        if out[f"drain_after_{name}"]:
            print(f"\nQueue drained after the {name}:", json.dumps(out[f"drain_after_{name}"]))
    if out["replay"]:
        print("\nReplay:", json.dumps(out["replay"], ensure_ascii=False))


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    {
        "take": take,
        "count": count,
        "cpu": cpu,
        "phase": phase,
        "drain": drain,
        "replay": replay,
        "report": report,
    }[command](*arguments)
