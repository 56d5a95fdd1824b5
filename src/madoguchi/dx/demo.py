"""Demo data for `load_dx_policy --demo`: the register's other procedures and 12 months of manual KPIs.

Every demo KPI entry is stored with ``is_demo`` and a note saying so; the demo register rows have
numbers DEMO-nnn and reasons ending in （デモ）.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from .models import Kpi, KpiEntry
from .register_io import apply_import, read_table
from .services import DATA_DIR, kpi_entry_add

# (key, value of the month 11 months ago, monthly step, Miyagi average then, national average then, step of both)
_SERIES = {
    "mynumber_card_rate": (Decimal("72.4"), Decimal("0.6"), Decimal("75.8"), Decimal("77.9"), Decimal("0.4")),
    "telework_use": (Decimal("38"), Decimal("4"), None, None, None),
    "staff_trained": (Decimal("120"), Decimal("35"), None, None, None),
    "security_policy_revisions": (Decimal("3"), Decimal("0.25"), None, None, None),
}


def _months(today: datetime.date, n: int = 12) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for back in range(n - 1, -1, -1):
        y, m = first.year, first.month - back
        while m <= 0:
            y, m = y - 1, m + 12
        months.append(datetime.date(y, m, 1))
    return months


def load_demo_kpis(today: datetime.date | None = None) -> int:
    """12 monthly demo values per manual KPI, unless the KPI has entries already."""
    today = today or timezone.localdate()
    added = 0
    for key, (start, step, miyagi, national, avg_step) in _SERIES.items():
        kpi = Kpi.objects.filter(key=key, kind=Kpi.Kind.MANUAL).first()
        if kpi is None or KpiEntry.objects.filter(kpi=kpi).exists():
            continue
        for i, month in enumerate(_months(today)):
            value = start + step * i
            if key == "security_policy_revisions":
                value = value.to_integral_value(rounding="ROUND_FLOOR")
            kpi_entry_add(
                kpi=kpi, by=None, period=month, value=value,
                miyagi_average=miyagi + avg_step * i if miyagi is not None else None,
                national_average=national + avg_step * i if national is not None else None,
                note="デモ値", is_demo=True,
            )  # fmt: skip
            added += 1
    return added


def load_demo_register(user=None) -> int:
    path = next(
        iter(sorted(DATA_DIR.glob(f"{settings.MADOGUCHI_MUNICIPALITY_CODE}-*register-demo.csv"))),
        DATA_DIR / "none",
    )
    from .models import RegisterEntry

    if not path.exists() or RegisterEntry.objects.filter(number__startswith="DEMO-").exists():
        return 0  # loaded once; staff edits of the demo rows are kept
    plan = apply_import(read_table(path.read_bytes(), path.name), user=user, all_departments=True)
    if plan.errors:
        raise ValueError("; ".join(f"{path}:{e.row}: {e.column}: {e.message}" for e in plan.errors))
    return len(plan.created)
