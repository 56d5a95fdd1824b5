"""Writes for life-event guides: loading the definition files."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from .definitions import GuideError
from .files import parse_files
from .models import LifeEventGuide

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    retired: int


@transaction.atomic
def guides_load_from_files() -> LoadResult:
    """Load every guide file. All or nothing: one bad file and nothing is loaded.

    A new file creates its guide; a changed file replaces the definition and counts up the
    version; an unchanged file changes nothing; a guide whose file is gone is retired (kept,
    not shown). Running it twice changes nothing the second time.
    """
    parsed, errors = parse_files()
    if errors:
        raise GuideError(errors)
    created = updated = unchanged = 0
    for guide in parsed:
        order = guide.data.get("order", 0)
        existing = LifeEventGuide.objects.filter(slug=guide.id).first()
        if existing is None:
            LifeEventGuide.objects.create(
                slug=guide.id, definition=guide.data, sha256=guide.sha256, sort_order=order
            )
            created += 1
        elif existing.sha256 != guide.sha256 or not existing.is_active or existing.sort_order != order:
            if existing.sha256 != guide.sha256:
                existing.version += 1
            existing.definition, existing.sha256 = guide.data, guide.sha256
            existing.sort_order, existing.is_active = order, True
            existing.save()
            updated += 1
        else:
            unchanged += 1
    retired = (
        LifeEventGuide.objects.filter(is_active=True)
        .exclude(slug__in=[guide.id for guide in parsed])
        .update(is_active=False)
    )
    logger.info(
        "life-event guides loaded created=%d updated=%d unchanged=%d retired=%d",
        created, updated, unchanged, retired,
    )  # fmt: skip
    return LoadResult(created, updated, unchanged, retired)
