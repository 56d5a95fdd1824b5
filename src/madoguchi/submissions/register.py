"""One 個人情報ファイル簿 entry per published procedure, from its definition's personal_data."""

from __future__ import annotations

from django.db.models import Count, Q

from madoguchi.privacy.registry import RegisterEntry


def procedure_files() -> list[RegisterEntry]:
    from madoguchi.procedures.models import Procedure

    procedures = (
        Procedure.objects.filter(current_version__isnull=False)
        .select_related("current_version", "department")
        .annotate(
            people=Count("submissions__user", distinct=True),
            anonymous=Count("submissions", filter=Q(submissions__user__isnull=True)),
        )
    )
    entries = []
    for procedure in procedures:
        definition = procedure.current_version.definition
        personal = definition["personal_data"]
        items = tuple(
            dict.fromkeys(
                f["label"]["ja"]
                for page in definition["form"]["pages"]
                for f in page["fields"]
                if f["type"] != "consent"
            )
        )
        entries.append(RegisterEntry(
            name=personal["file_name"], department=procedure.department.code, purpose=personal["purpose"],
            items=items, subjects=personal["subjects"], sources="本人又は代理人がオンライン・窓口・紙で申請",
            sensitive=personal["sensitive"], retention=f"{definition['retention']['years']}年",
            persons=procedure.people + procedure.anonymous,
        ))  # fmt: skip
    return entries
