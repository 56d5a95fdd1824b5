"""The DX policy as data: the file, its checks, the loader, and the selectors madoguchi.dashboards reads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from madoguchi.dx import selectors
from madoguchi.dx.models import Initiative, Kpi, KpiEntry, StandardArea
from madoguchi.dx.policy import PolicyError, parse_policy
from madoguchi.dx.services import kpi_entry_add, policy_file, policy_load_from_file

SEED_AREAS = [
    "個人住民税", "法人住民税", "軽自動車税", "固定資産税", "住民基本台帳", "戸籍", "戸籍の附票", "印鑑登録事務",
    "健康管理", "国民年金", "国民健康保険", "後期高齢者医療保険", "介護保険", "障害者福祉", "生活保護", "児童手当",
    "児童扶養手当", "子ども・子育て支援", "就学", "選挙人名簿管理",
]  # fmt: skip


@pytest.fixture
def policy(city):
    policy_load_from_file()


def test_the_ten_initiatives_and_twenty_areas_load(policy):
    data = selectors.initiatives()
    assert [i["code"] for i in data] == ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
    assert (
        data[0]["label"] == "A①"
        and data[0]["name"] == "デジタル技術やデータを活用した市民サービスの利便性向上"
    )
    assert data[-1]["name"] == "セキュリティ対策の徹底"
    a4 = next(i for i in data if i["code"] == "A4")
    assert {d["code"] for d in a4["departments"]} == {"ict", "shimin"}
    card = a4["kpis"][0]
    assert card["key"] == "mynumber_card_rate" and card["kind"] == "manual" and card["compare"] is True
    assert card["target"] == Decimal("100") and card["target_date"] == datetime.date(2023, 3, 31)
    auto = {k["key"] for i in data for k in i["kpis"] if k["kind"] == "auto"}
    assert auto == {
        "online_share",
        "processing_days",
        "satisfaction",
        "priority_online",
        "open_datasets_fresh",
    }
    assert list(StandardArea.objects.values_list("name", flat=True)) == SEED_AREAS


def test_loading_twice_changes_nothing_and_keeps_staff_edits(policy):
    kpi = Kpi.objects.get(key="telework_use")
    kpi.target = Decimal("123")
    kpi.save()
    call_command("load_dx_policy")
    call_command("load_dx_policy")
    assert Initiative.objects.count() == 10 and StandardArea.objects.count() == 20
    assert Kpi.objects.get(key="telework_use").target == Decimal("123")
    call_command("load_dx_policy", "--reset")
    assert Kpi.objects.get(key="telework_use").target == Decimal("300")


def test_mistakes_name_file_line_and_field(city):
    text = policy_file().read_text(encoding="utf-8")
    broken = text.replace("departments: [ict, shimin]", "departments: [ict, nowhere]").replace(
        "kind: manual, baseline: 36.0", "kind: sometimes, baseline: 36.0"
    )
    lines = broken.splitlines()
    with pytest.raises(PolicyError) as caught:
        parse_policy(broken, source="policy.yaml", known_departments={"ict", "shimin"})
    errors = caught.value.errors
    kind_line = next(n for n, line in enumerate(lines, 1) if "sometimes" in line)
    assert any(e.startswith(f"policy.yaml:{kind_line}: initiatives[3].kpis[0].kind") for e in errors), errors
    fixed_kind = broken.replace("kind: sometimes", "kind: manual")
    with pytest.raises(PolicyError) as caught:
        parse_policy(fixed_kind, source="policy.yaml", known_departments={d for d in _all_codes()})
    dept_line = next(n for n, line in enumerate(lines, 1) if "nowhere" in line)
    assert (
        f"policy.yaml:{dept_line}: initiatives[3].departments[1]: unknown department 'nowhere'"
        in caught.value.errors
    )


def test_a_bad_date_and_a_missing_initiative(city):
    text = policy_file().read_text(encoding="utf-8").replace('"2023-03-31"', '"2023-02-31"')
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, source="p.yaml", known_departments=set(_all_codes()))
    assert any("initiatives[3].kpis[0].target_date: not a date" in e for e in caught.value.errors)
    cut = policy_file().read_text(encoding="utf-8").split("  - code: B5")[0] + "standardisation: []\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(cut, source="p.yaml", known_departments=set(_all_codes()))
    assert any("missing initiatives: B5" in e for e in caught.value.errors)


def _all_codes():
    from madoguchi.organisations.models import Department

    return Department.objects.values_list("code", flat=True)


def test_manual_series_keeps_the_newest_entry_of_each_period(policy, dx_dana):
    kpi = Kpi.objects.get(key="mynumber_card_rate")
    first = kpi_entry_add(kpi=kpi, by=dx_dana, period=datetime.date(2026, 9, 1), value=Decimal("78.1"))
    kpi_entry_add(kpi=kpi, by=dx_dana, period=datetime.date(2026, 10, 1), value=Decimal("79.0"))
    fix = kpi_entry_add(kpi=kpi, by=dx_dana, period=datetime.date(2026, 9, 1), value=Decimal("78.3"))
    assert fix.supersedes == first
    series = selectors.manual_kpi_series("mynumber_card_rate")
    assert [(p, v) for p, v, _by, _at in series] == [
        (datetime.date(2026, 9, 1), Decimal("78.30")), (datetime.date(2026, 10, 1), Decimal("79.00"))
    ]  # fmt: skip
    assert series[0][2] == dx_dana and series[0][3] == fix.entered_at
    assert KpiEntry.objects.filter(kpi=kpi).count() == 3  # nothing was changed or deleted
    assert selectors.manual_kpi_series("no_such_kpi") == []


def test_standardisation_summary_flags_overdue_areas(policy):
    summary = selectors.standardisation_summary(today=datetime.date(2026, 11, 26))
    assert summary["total"] == 20 and summary["deadline"] == datetime.date(2026, 3, 31)
    not_done = 20 - summary["by_status"]["migrated"]
    assert summary["overdue"] == not_done > 0
    before = selectors.standardisation_summary(today=datetime.date(2026, 3, 31))
    assert before["overdue"] == 0
    kotei = next(a for a in summary["areas"] if a["code"] == "kotei-shisanzei")
    assert kotei["overdue"] and kotei["milestones_total"] == 2 and kotei["milestones_done"] == 1


def test_demo_loads_once(city):
    from madoguchi.procedures.services import procedures_load_from_files

    procedures_load_from_files()
    call_command("load_dx_policy", "--demo")
    call_command("load_dx_policy", "--demo")
    summary = selectors.register_summary()
    assert summary["total"] == 28 + 32
    assert summary["online"]["madoguchi"] == 28
    assert KpiEntry.objects.filter(kpi__key="mynumber_card_rate", is_demo=True).count() == 12
    assert all(e.note == "デモ値" for e in KpiEntry.objects.all())
