"""Reads for life-event guides: the list, one guide, and the plan (the steps) for a person's answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404
from django.utils.translation import gettext as _

from madoguchi.forms.fieldtypes import localised
from madoguchi.procedures.models import Procedure

from .definitions import ONLINE, steps_for
from .models import LifeEventGuide


def guide_list_public() -> list[LifeEventGuide]:
    return list(LifeEventGuide.objects.filter(is_active=True).order_by("sort_order", "slug"))


def guide_get_public(*, slug: str) -> LifeEventGuide:
    guide = LifeEventGuide.objects.filter(slug=slug, is_active=True).first()
    if guide is None:
        raise Http404
    return guide


@dataclass
class PlanStep:
    number: int
    id: str
    title: str
    where: str  # online (a Madoguchi procedure, here) | counter | other_office | online_elsewhere
    place: str = ""
    deadline: str = ""
    note: str = ""
    link: str = ""  # an outside https page
    bring: list[str] = field(default_factory=list)
    procedure: Procedure | None = None  # a published Madoguchi procedure
    also_counter: bool = False  # the procedure can also be filed at the counter or on paper

    @property
    def online(self) -> bool:
        return self.where == ONLINE


def _published(slugs: list[str]) -> dict[str, Procedure]:
    procedures = Procedure.objects.filter(
        slug__in=slugs, is_active=True, current_version__isnull=False
    ).select_related("department", "current_version")
    return {p.slug: p for p in procedures}


def _department_name(code: str) -> str:
    from madoguchi.organisations.selectors import municipality_get_current

    municipality = municipality_get_current()
    department = municipality.departments.filter(code=code).first() if municipality else None
    return department.display_name if department else ""


def guide_plan(*, guide: LifeEventGuide, answers: dict, language: str) -> list[PlanStep]:
    """The steps this person needs, in order, with where to go and what to bring.

    A procedure step is filed online here when the procedure is published; if it is not
    (withdrawn for now), the step still shows, pointing to the department's counter.
    """
    chosen = steps_for(guide.definition, answers)
    published = _published([s["procedure"] for s in chosen if "procedure" in s])
    plan = []
    for number, step in enumerate(chosen, 1):
        common = {
            "number": number,
            "id": step["id"],
            "deadline": localised(step.get("deadline"), language),
            "note": localised(step.get("note"), language),
        }
        if "procedure" not in step:
            plan.append(
                PlanStep(
                    **common,
                    title=localised(step["title"], language),
                    where=step["where"],
                    place=localised(step.get("place"), language),
                    bring=[localised(item, language) for item in step.get("bring", [])],
                    link=step.get("link", ""),
                )
            )
            continue
        procedure = published.get(step["procedure"])
        if procedure is None:
            plan.append(
                PlanStep(
                    **common,
                    title=localised(step.get("procedure_name"), language) or step["procedure"],
                    where="counter",
                    place=_department_name(step.get("procedure_department", "")),
                )
            )
            continue
        definition = procedure.current_version.definition
        bring = [localised(item, language) for item in definition.get("prepare", [])]
        for attachment in definition.get("attachments", []):
            label = localised(attachment["label"], language)
            if attachment.get("show_if"):  # asked only of some people (a proxy, a child living elsewhere...)
                label += (" " if language == "en" else "") + _("（あてはまる人だけ）")
            bring.append(label)
        plan.append(
            PlanStep(
                **common,
                title=localised(definition["name"], language),
                where=ONLINE,
                place=procedure.department.display_name,
                bring=list(dict.fromkeys(bring)),
                procedure=procedure,
                also_counter=any(c in definition["channels"] for c in ("counter", "paper")),
            )
        )
    return plan
