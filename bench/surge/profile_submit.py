"""Where the time of one 罹災証明 submit goes: N submits in one process (Django's test client, the
whole middleware stack, the surge database of bench/surge/run.sh) under cProfile, and the SQL
queries of one submit.

    DJANGO_SETTINGS_MODULE=bench.surge.settings PYTHONPATH=src:. \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/madoguchi_surge \\
    .venv/bin/python bench/surge/profile_submit.py var/bench/surge/drafts-profile.txt [N]

The drafts come from ``manage.py bench_surge_prepare --drafts-only`` (each is submitted once).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def submit(line: str) -> None:
    _method, path, session, csrf, body = line.split()
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    client.cookies["madoguchi_session"] = session
    client.cookies["madoguchi_csrf"] = csrf
    response = client.post(path, data=f"csrfmiddlewaretoken={csrf}&{body}",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    location = response.get("Location", "")
    if response.status_code != 302 or "/applications/" not in location:
        raise SystemExit(f"unexpected answer {response.status_code} {location}")


def main() -> None:
    lines = [line for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    warm, lines = lines[:10], lines[10 : 10 + count + 1]
    for line in warm:
        submit(line)
    with CaptureQueriesContext(connection) as queries:
        submit(lines.pop())
    kinds = Counter(q["sql"].split()[0] for q in queries.captured_queries)
    print(f"SQL per submit: {len(queries.captured_queries)} ({dict(kinds)})")
    for q in queries.captured_queries:
        print(f"  {float(q['time']) * 1000:6.2f} ms  {q['sql'][:150]}")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for line in lines:
        submit(line)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(
        f"\n{len(lines)} submits in {elapsed:.1f} s: {elapsed / len(lines) * 1000:.1f} ms each (one process, profiled)"
    )
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(
        r"madoguchi|django/(contrib/sessions|middleware|template)|jsonschema|cryptography|psycopg", 60
    )
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())


if __name__ == "__main__":
    main()
