"""Demo open data for `make run`: several departments, three standard datasets and more, one change
awaiting approval and one dataset overdue for its update. Every dataset is marked as demo data
(``is_demo`` and its description): the facilities are real places in 石巻市, but the addresses'
house numbers, phone numbers and coordinates are made up around each 町字's representative point
(data/opendata/ishinomaki-towns.json, Geolonia 住所データ, CC BY 4.0).

The files go through the same intake and publication code as an upload; approval is skipped
(the loader is trusted), and the activities it writes have no actor.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.organisations.models import Department

from . import services
from .models import Dataset, DatasetChange, ResourceVersion

TOWNS_FILE = Path(settings.BASE_DIR) / "data" / "opendata" / "ishinomaki-towns.json"
CITY_CODE = "042021"
CITY = "宮城県石巻市"
DEMO_NOTE = (
    "\n\n※ これはデモ用のデータです。施設名は実在しますが、番地・電話番号・緯度経度などは架空の値です。"
)


def _towns() -> dict[str, tuple[float, float]]:
    towns = json.loads(TOWNS_FILE.read_text(encoding="utf-8"))
    return {t["town"]: (t["lat"], t["lng"]) for t in towns if not t["koaza"] and t["lat"] is not None}


@dataclass
class Place:
    name: str
    kana: str
    town: str
    extra: dict = field(default_factory=dict)


PUBLIC_FACILITIES = [
    Place("石巻市役所", "イシノマキシヤクショ", "穀町", {"説明": "本庁舎"}),
    Place("河北総合支所", "カホクソウゴウシショ", "相野谷", {"説明": "総合支所"}),
    Place("雄勝総合支所", "オガツソウゴウシショ", "雄勝町雄勝", {"説明": "総合支所"}),
    Place("河南総合支所", "カナンソウゴウシショ", "前谷地", {"説明": "総合支所"}),
    Place("桃生総合支所", "モノウソウゴウシショ", "桃生町中津山", {"説明": "総合支所"}),
    Place("北上総合支所", "キタカミソウゴウシショ", "北上町十三浜", {"説明": "総合支所"}),
    Place("牡鹿総合支所", "オシカソウゴウシショ", "鮎川浜丁", {"説明": "総合支所"}),
    Place("石巻市図書館", "イシノマキシトショカン", "日和が丘一丁目", {"説明": "図書館"}),
    Place("石巻市総合運動公園", "イシノマキシソウゴウウンドウコウエン", "南境", {"説明": "運動施設"}),
    Place("石巻市保健相談センター", "イシノマキシホケンソウダンセンター", "泉町四丁目", {"説明": "保健施設"}),
]
EVACUATION_SITES = [
    Place("石巻小学校", "イシノマキショウガッコウ", "日和が丘二丁目", {"標高": "52"}),
    Place("門脇中学校", "カドノワキチュウガッコウ", "門脇町二丁目", {"標高": "8"}),
    Place("日和山公園", "ヒヨリヤマコウエン", "日和が丘二丁目", {"標高": "56"}),
    Place("石巻市総合運動公園", "イシノマキシソウゴウウンドウコウエン", "南境", {"標高": "9"}),
    Place("蛇田小学校", "ヘビタショウガッコウ", "蛇田", {"標高": "4"}),
    Place("渡波小学校", "ワタノハショウガッコウ", "渡波", {"標高": "3"}),
    Place("鹿妻小学校", "カヅマショウガッコウ", "鹿妻南一丁目", {"標高": "3"}),
    Place("湊小学校", "ミナトショウガッコウ", "湊町一丁目", {"標高": "5"}),
    Place("河北中学校", "カホクチュウガッコウ", "相野谷", {"標高": "6"}),
    Place("牡鹿中学校", "オシカチュウガッコウ", "鮎川浜丁", {"標高": "20"}),
]
AED_PLACES = [
    Place("石巻市役所", "イシノマキシヤクショ", "穀町", {"設置位置": "1階 市民課前"}),
    Place("石巻市図書館", "イシノマキシトショカン", "日和が丘一丁目", {"設置位置": "1階 受付"}),
    Place(
        "石巻市保健相談センター",
        "イシノマキシホケンソウダンセンター",
        "泉町四丁目",
        {"設置位置": "1階 ロビー"},
    ),
    Place(
        "石巻市総合運動公園", "イシノマキシソウゴウウンドウコウエン", "南境", {"設置位置": "管理棟 事務室前"}
    ),
    Place("河北総合支所", "カホクソウゴウシショ", "相野谷", {"設置位置": "1階 玄関"}),
    Place("雄勝総合支所", "オガツソウゴウシショ", "雄勝町雄勝", {"設置位置": "1階 窓口"}),
    Place("河南総合支所", "カナンソウゴウシショ", "前谷地", {"設置位置": "1階 玄関"}),
    Place("桃生総合支所", "モノウソウゴウシショ", "桃生町中津山", {"設置位置": "1階 ロビー"}),
    Place("北上総合支所", "キタカミソウゴウシショ", "北上町十三浜", {"設置位置": "1階 窓口"}),
    Place("牡鹿総合支所", "オシカソウゴウシショ", "鮎川浜丁", {"設置位置": "1階 玄関"}),
    Place("石巻小学校", "イシノマキショウガッコウ", "日和が丘二丁目", {"設置位置": "体育館 入口"}),
    Place("蛇田小学校", "ヘビタショウガッコウ", "蛇田", {"設置位置": "職員室前"}),
]
CHILDCARE = [
    Place("石巻市立湊保育所", "イシノマキシリツミナトホイクショ", "湊町一丁目", {"種別": "保育所"}),
    Place("石巻市立蛇田保育所", "イシノマキシリツヘビタホイクショ", "蛇田", {"種別": "保育所"}),
    Place("石巻市立渡波保育所", "イシノマキシリツワタノハホイクショ", "渡波", {"種別": "保育所"}),
    Place("石巻市子どもセンター", "イシノマキシコドモセンター", "中央二丁目", {"種別": "児童館"}),
]
AREAS = [
    "中央一丁目",
    "中央二丁目",
    "穀町",
    "蛇田",
    "渡波",
    "湊町一丁目",
    "門脇町二丁目",
    "日和が丘一丁目",
    "南境",
    "鹿妻南一丁目",
]


def _place(towns, town: str, rng) -> tuple[str, str, str]:
    """A demo address in the town and its coordinates (drawn in this order, so the demo is reproducible)."""
    lat, lng = _coordinates(towns, town, rng)
    return _address(town, rng), lat, lng


def _phone(rng) -> str:
    return f"0225-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def _coordinates(towns, town: str, rng: random.Random) -> tuple[str, str]:
    lat, lng = towns.get(town) or (38.4343, 141.3029)
    return f"{lat + rng.uniform(-0.002, 0.002):.6f}", f"{lng + rng.uniform(-0.002, 0.002):.6f}"


def _address(town: str, rng: random.Random) -> str:
    return f"{CITY}{town}{rng.randint(1, 30)}番{rng.randint(1, 20)}号"


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _aed(towns, rng) -> bytes:
    header = [
        "全国地方公共団体コード",
        "ID",
        "地方公共団体名",
        "名称",
        "名称_カナ",
        "所在地_連結表記",
        "緯度",
        "経度",
        "設置位置",
        "電話番号",
        "利用可能曜日",
        "開始時間",
        "終了時間",
        "小児対応設備の有無",
        "備考",
    ]
    rows = []
    for i, p in enumerate(AED_PLACES, start=1):
        address, lat, lng = _place(towns, p.town, rng)
        rows.append(
            [
                CITY_CODE,
                f"{i:03d}",
                CITY,
                p.name,
                p.kana,
                address,
                lat,
                lng,
                p.extra["設置位置"],
                _phone(rng),
                "月火水木金",
                "08:30",
                "17:15",
                "有",
                "デモデータ",
            ]
        )
    return _csv(header, rows)


def _evacuation(towns, rng) -> bytes:
    hazards = [
        "災害種別_洪水",
        "災害種別_崖崩れ、土石流及び地滑り",
        "災害種別_高潮",
        "災害種別_地震",
        "災害種別_津波",
        "災害種別_大規模な火事",
        "災害種別_内水氾濫",
        "災害種別_火山現象",
    ]
    header = [
        "全国地方公共団体コード",
        "ID",
        "名称",
        "名称_カナ",
        "所在地_連結表記",
        "緯度",
        "経度",
        "標高",
        "電話番号",
        *hazards,
        "指定避難所との重複",
        "想定収容人数",
        "備考",
    ]
    rows = []
    for i, p in enumerate(EVACUATION_SITES, start=1):
        address, lat, lng = _place(towns, p.town, rng)
        high = int(p.extra["標高"]) >= 20
        marks = ["○", "×", "○" if high else "×", "○", "○" if high else "×", "○", "○", "×"]
        rows.append(
            [
                CITY_CODE,
                f"{i:03d}",
                p.name,
                p.kana,
                address,
                lat,
                lng,
                p.extra["標高"],
                _phone(rng),
                *marks,
                "○",
                str(rng.randrange(200, 1500, 50)),
                "デモデータ",
            ]
        )
    return _csv(header, rows)


def _public_facilities(towns, rng) -> bytes:
    header = [
        "全国地方公共団体コード",
        "ID",
        "地方公共団体名",
        "名称",
        "名称_カナ",
        "所在地_連結表記",
        "緯度",
        "経度",
        "電話番号",
        "利用可能曜日",
        "開始時間",
        "終了時間",
        "説明",
        "備考",
    ]
    rows = []
    for i, p in enumerate(PUBLIC_FACILITIES, start=1):
        address, lat, lng = _place(towns, p.town, rng)
        rows.append(
            [
                CITY_CODE,
                f"{i:03d}",
                CITY,
                p.name,
                p.kana,
                address,
                lat,
                lng,
                _phone(rng),
                "月火水木金",
                "08:30",
                "17:15",
                p.extra["説明"],
                "デモデータ",
            ]
        )
    return _csv(header, rows)


def _childcare(towns, rng) -> bytes:
    header = [
        "全国地方公共団体コード",
        "ID",
        "地方公共団体名",
        "名称",
        "名称_カナ",
        "種別",
        "所在地_連結表記",
        "緯度",
        "経度",
        "収容定員",
        "受入年齢",
        "備考",
    ]
    rows = []
    for i, p in enumerate(CHILDCARE, start=1):
        address, lat, lng = _place(towns, p.town, rng)
        rows.append(
            [
                CITY_CODE,
                f"{i:03d}",
                CITY,
                p.name,
                p.kana,
                p.extra["種別"],
                address,
                lat,
                lng,
                str(rng.randrange(60, 150, 10)),
                "0歳〜5歳",
                "デモデータ",
            ]
        )
    return _csv(header, rows)


def _population(towns, rng) -> bytes:
    today = timezone.localdate()
    header = [
        "全国地方公共団体コード",
        "地方公共団体名",
        "調査年月日",
        "地域名",
        "総人口",
        "男性",
        "女性",
        "世帯数",
    ]
    rows = []
    for area in AREAS:
        men, women = rng.randint(400, 2500), rng.randint(400, 2600)
        rows.append(
            [
                CITY_CODE,
                CITY,
                today.replace(day=1).isoformat(),
                area,
                str(men + women),
                str(men),
                str(women),
                str((men + women) // 2),
            ]
        )
    return _csv(header, rows)


def _care_offices(towns, rng) -> bytes:
    header = [
        "全国地方公共団体コード",
        "ID",
        "地方公共団体名",
        "介護サービス事業所名称",
        "介護サービス事業所名称_カナ",
        "実施サービス",
        "所在地_連結表記",
        "緯度",
        "経度",
        "電話番号",
        "定員",
        "備考",
    ]
    services_ = ["通所介護", "訪問介護", "短期入所生活介護", "居宅介護支援"]
    rows = []
    for i, area in enumerate(AREAS[:6], start=1):
        lat, lng = _coordinates(towns, area, rng)
        rows.append(
            [
                CITY_CODE,
                f"{i:03d}",
                CITY,
                f"デモ介護サービス{area}",
                "デモカイゴサービス",
                services_[i % 4],
                _address(area, rng),
                lat,
                lng,
                _phone(rng),
                str(rng.randrange(10, 40, 5)),
                "デモデータ",
            ]
        )
    return _csv(header, rows)


@dataclass
class Spec:
    name: str
    department: str
    title: str
    notes: str
    standard: str
    theme: str
    frequency: str
    tags: list[str]
    build: object
    resource: str
    state: str = "published"  # published, pending, overdue
    submitter: str = ""
    light_path: bool = False


SPECS = [
    Spec(
        "aed-locations",
        "kenko-suishin",
        "AED設置箇所一覧",
        "市の施設に設置している AED（自動体外式除細動器）の一覧です。",
        "aed",
        "HEAL",
        "annual",
        ["AED", "救急", "施設"],
        _aed,
        "AED設置箇所一覧",
        light_path=True,
    ),
    Spec(
        "evacuation-sites",
        "somu",
        "指定緊急避難場所一覧",
        "災害対策基本法に基づき市が指定した緊急避難場所の一覧です。",
        "designated-emergency-evacuation-sites",
        "REGI",
        "annual",
        ["防災", "避難所", "津波"],
        _evacuation,
        "指定緊急避難場所一覧",
    ),
    Spec(
        "public-facilities",
        "gyosei-keiei",
        "公共施設一覧",
        "市役所・総合支所・図書館など、市の主な公共施設の一覧です。",
        "public-facilities",
        "REGI",
        "annual",
        ["施設", "公共施設"],
        _public_facilities,
        "公共施設一覧",
    ),
    Spec(
        "care-service-offices",
        "kaigo-hoken",
        "介護サービス事業所一覧",
        "市内の介護サービス事業所の一覧です。",
        "care-service-offices",
        "SOCI",
        "semiannual",
        ["介護", "福祉"],
        _care_offices,
        "介護サービス事業所一覧",
    ),
    Spec(
        "population-by-area",
        "shimin",
        "地域・年齢別人口（町字別）",
        "住民基本台帳による町字別の人口と世帯数です（毎月1日現在）。",
        "",
        "SOCI",
        "monthly",
        ["人口", "統計"],
        _population,
        "町字別人口",
        state="overdue",
    ),
    Spec(
        "childcare-facilities",
        "kodomo-hoiku",
        "子育て施設一覧",
        "市内の保育所・児童館などの一覧です。",
        "childcare-facilities",
        "SOCI",
        "annual",
        ["子育て", "保育所"],
        _childcare,
        "子育て施設一覧",
        state="pending",
        submitter="hoiku1@demo.madoguchi.example",
    ),
]


def load_demo_opendata() -> tuple[int, int]:
    """Create the demo datasets that do not exist yet. Returns (created, already there)."""
    towns = _towns()
    created = existing = 0
    for spec in SPECS:
        if Dataset.objects.filter(name=spec.name).exists():
            existing += 1
            continue
        _create(spec, towns)
        created += 1
    return created, existing


@transaction.atomic
def _create(spec: Spec, towns) -> Dataset:
    rng = random.Random(spec.name)  # noqa: S311  (demo content, the same every time)
    department = Department.objects.get(municipality__code=CITY_CODE, code=spec.department)
    metadata = {
        "title": spec.title,
        "notes": spec.notes + DEMO_NOTE,
        "theme": spec.theme,
        "license_id": "pdl-1.0",
        "frequency": spec.frequency,
        "spatial": CITY,
        "temporal_start": "",
        "temporal_end": "",
        "contact_name": f"石巻市 {department.name}",
        "contact_email": f"{department.code}@demo.madoguchi.example",
        "conforms_to": spec.standard,
        "tags": sorted({*spec.tags, "デモデータ"}),
    }
    dataset = Dataset(name=spec.name, department=department, title=spec.title, is_demo=True)
    services._apply_metadata(dataset, metadata)
    submitter = User.objects.filter(email=spec.submitter).first() if spec.submitter else None
    change = DatasetChange.objects.create(
        dataset=dataset, kind=DatasetChange.Kind.NEW, metadata=metadata, created_by=submitter
    )
    versions = services.stage_upload(
        change=change,
        dataset=dataset,
        data=spec.build(towns, rng),
        filename=f"{spec.name}.csv",
        name=spec.resource,
        by=submitter,
    )
    for version in versions:
        services.finalise_version(
            version=ResourceVersion.objects.get(pk=version.pk),
            selected=None,
            personal_data_confirmed=True,
            by=submitter,
        )
    if spec.state == "pending":
        change.status = DatasetChange.Status.PENDING
        change.submitted_by = submitter
        change.submitted_at = timezone.now()
        change.note = "新規公開（デモ）"
        change.save()
        Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.PENDING)
        return dataset
    services.apply_change(change, by=None)
    if spec.light_path:
        Dataset.objects.filter(pk=dataset.pk).update(light_path=True)
    if spec.state == "overdue":
        # Published four months ago, monthly: the update is long overdue (and the DX office has been told).
        past = timezone.now() - timedelta(days=120)
        Dataset.objects.filter(pk=dataset.pk).update(
            last_updated=past,
            published_at=past,
            metadata_created=past,
            next_due=(past + timedelta(days=30)).date(),
        )
    return dataset
