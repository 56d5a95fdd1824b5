"""make bench-opendata: CKAN package_search over 2,000 published datasets on SQLite.

Seeds a fresh SQLite database (var/bench/opendata.sqlite3) with the city and 2,000 published datasets
of its departments (tags from a pool of 60 words, a theme, a licence, one to three resources, one in
ten conforming to a standard dataset, modification times spread over three years), then times the
real view in-process (Django's test client, no network), 50 requests per query after 5 warm-ups:
the default search, free text, filters, a harvester's page by modification time, and facets.
Target: p50 under 50 ms (docs/performance.md). Writes bench/results/opendata-latest.md.

The rows are inserted in bulk (what is measured is the search, not the intake of 2,000 files).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
DB = ROOT / "var" / "bench" / "opendata.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"

SIZE = int(os.environ.get("BENCH_DATASETS", "2000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "50"))
TARGET_MS = 50.0

_WORD_LIST = (
    "防災 避難所 津波 AED 救急 施設 公共施設 図書館 公園 トイレ 観光 イベント 文化財 子育て 保育所 児童館 介護 福祉 医療 "
    "健康 検診 人口 世帯 統計 予算 決算 入札 契約 道路 橋梁 河川 下水道 水道 ごみ 資源 リサイクル 環境 騒音 農業 漁業 "
    "水産 林業 商業 工業 雇用 交通 バス 駐車場 自転車 学校 給食 選挙 議会 税 住宅 空き家 震災 復興"
)
WORDS = _WORD_LIST.split()


def seed(size: int) -> None:
    from django.core.management import call_command

    from madoguchi.opendata.models import Dataset, Resource, ResourceVersion, Tag
    from madoguchi.opendata.standards import standard_datasets
    from madoguchi.organisations.models import Department
    from madoguchi.organisations.services import municipality_load_from_file

    DB.parent.mkdir(parents=True, exist_ok=True)
    DB.unlink(missing_ok=True)
    call_command("migrate", "--no-input", verbosity=0)
    call_command("createcachetable", verbosity=0)
    municipality_load_from_file(path=ROOT / "data" / "municipalities" / "042021-ishinomaki.yaml")
    rng = random.Random(8)  # noqa: S311 -- repeatable bench data, not secrets
    departments = list(Department.objects.all())
    tags = Tag.objects.bulk_create([Tag(name=w) for w in WORDS])
    standards = list(standard_datasets())
    themes = Dataset.Theme.values
    start = datetime(2023, 4, 1, tzinfo=UTC)
    datasets, links, resources, versions = [], [], [], []
    for i in range(size):
        department = departments[i % len(departments)]
        words = rng.sample(WORDS, 3)
        modified = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        datasets.append(Dataset(
            id=uuid.uuid4(), name=f"dataset-{i:05d}", title=f"{department.name}の{words[0]}（{words[1]}）データ {i}",
            notes=f"{words[0]}と{words[1]}、{words[2]}に関するデータです。", department=department,
            theme=rng.choice(themes), license_id=rng.choice(["pdl-1.0", "pdl-1.0", "cc-by-4.0", "cc0-1.0"]),
            frequency=rng.choice(Dataset.Frequency.values), spatial="宮城県石巻市",
            conforms_to=rng.choice(standards) if i % 10 == 0 else "", state=Dataset.State.PUBLISHED,
            metadata_created=modified - timedelta(days=30), metadata_modified=modified, published_at=modified,
            last_updated=modified, search_text=" ".join(words),
        ))  # fmt: skip
        for tag in rng.sample(tags, rng.randint(1, 4)):
            links.append(Dataset.tags.through(dataset_id=datasets[-1].id, tag_id=tag.pk))
        for n in range(rng.randint(1, 3)):
            fmt = rng.choice(["CSV", "CSV", "JSON", "XLSX", "PDF"])
            resource = Resource(id=uuid.uuid4(), dataset=datasets[-1], name=f"{words[0]} {n + 1}", format=fmt,
                                position=n, created=modified, last_modified=modified)  # fmt: skip
            version = ResourceVersion(
                id=uuid.uuid4(), resource=resource, number=1, status=ResourceVersion.Status.PUBLISHED,
                name=resource.name, format=fmt, file=f"opendata/bench/{resource.id}.{fmt.lower()}",
                media_type="text/csv; charset=utf-8" if fmt == "CSV" else "application/octet-stream",
                size=rng.randint(1_000, 2_000_000), sha256=f"{rng.getrandbits(256):064x}", encoding="UTF-8",
                published_at=modified,
            )  # fmt: skip
            resources.append(resource)
            versions.append(version)
    Dataset.objects.bulk_create(datasets, batch_size=500)
    Dataset.tags.through.objects.bulk_create(links, batch_size=2000)
    Resource.objects.bulk_create(resources, batch_size=1000)
    ResourceVersion.objects.bulk_create(versions, batch_size=1000)
    for resource, version in zip(resources, versions, strict=True):
        resource.current_version_id = version.id
    Resource.objects.bulk_update(resources, ["current_version"], batch_size=1000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


QUERIES = {
    "default (rows 10)": {},
    "free text": {"q": "避難所"},
    "filters (organization, tag)": {"fq": 'organization:somu tags:"防災"'},
    "harvester page (modified range, asc, rows 100)": {
        "fq": "metadata_modified:[2025-01-01T00:00:00Z TO *]", "sort": "metadata_modified asc", "rows": "100",
        "start": "300",
    },
    "five facets (rows 10)": {"facet.field": '["organization","tags","groups","res_format","license_id"]'},
    "standard datasets (tag)": {"fq": "tags:自治体標準ODS", "rows": "20"},
}  # fmt: skip


def measure() -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    client = Client()
    lines = [
        "| datasets | query | results | queries | p50 (ms) | p99 (ms) |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    p50s = {}
    for name, params in QUERIES.items():
        for _ in range(5):
            response = client.get("/api/3/action/package_search", params)
            assert response.status_code == 200, response.content[:300]
        queries: list[str] = []

        def count(execute, sql, *args, queries=queries):
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            body = client.get("/api/3/action/package_search", params).json()["result"]
        timings = []
        for _ in range(REPEAT):
            began = time.perf_counter()
            response = client.get("/api/3/action/package_search", params)
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        timings.sort()
        p50 = statistics.median(timings)
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        p50s[name] = p50
        lines.append(f"| {SIZE:,} | {name} | {body['count']:,} ({len(body['results'])} shown) | {len(queries)} | "
                     f"{p50:.1f} | {p99:.1f} |")  # fmt: skip
        print(lines[-1], file=sys.stderr)
    worst = max(p50s.values())
    lines.append("")
    lines.append(
        f"Target p50 < {TARGET_MS:.0f} ms: {'met' if worst < TARGET_MS else 'NOT met'} (slowest p50 {worst:.1f} ms)."
    )
    return lines


def main() -> int:
    import django

    django.setup()
    began = time.perf_counter()
    seed(SIZE)
    print(f"seeded {SIZE} datasets in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    lines = measure()
    out = ROOT / "bench" / "results" / "opendata-latest.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
