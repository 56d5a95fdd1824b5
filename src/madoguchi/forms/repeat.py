"""A repeating page (children, household members) as a person works it without JavaScript: buttons
add and remove items; "continue" checks every item. Shared by the online runner and counter mode."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .engine import read_fields
from .fieldtypes import FieldInvalid, localised
from .rendering import RenderItem, raw_from_values, render_fields


@dataclass
class RepeatPage:
    items: list[RenderItem]
    errors: dict = field(default_factory=dict)
    repeat_error: FieldInvalid | None = None
    values: list[dict] | None = None  # every item, checked: the page may be saved
    action: str = ""


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _reindex(raw: dict, new: int) -> dict:
    """An item's inputs keyed for position ``new`` (their keys end in the index they were posted with)."""
    out = {}
    for key, value in raw.items():
        head, _sep, tail = key.rpartition("-")
        out[f"{head}-{new}" if tail.isdigit() else key] = value
    return out


def repeat_page(page: dict, data: dict, language: str, post=None) -> RepeatPage:
    """The items to draw, and on a "continue" post with no errors, the values to save."""
    repeat = page["repeat"]
    low, high = repeat.get("min", 1), repeat.get("max", 10)
    saved = data.get(page["id"], [])
    if post is None:
        count = len(saved) or max(low, 1)
        items = [RenderItem(i, render_fields(page["fields"], raw_from_values(
            page["fields"], saved[i] if i < len(saved) else {}, i), {}, language, i)) for i in range(count)]  # fmt: skip
        return RepeatPage(items=items)
    action = post.get("action", "continue")
    count = max(0, min(high, _int(post.get("item_count"), len(saved) or max(low, 1))))
    results = [read_fields(page["fields"], post, data, index=i) for i in range(count)]
    raws = [r.raw for r in results]
    errors: dict = {}
    repeat_error = None
    if action == "add" and count < high:
        raws.append({})
    elif action.startswith("remove:"):
        drop = _int(action.removeprefix("remove:"), -1)
        if 0 <= drop < len(raws) and len(raws) > low:
            raws.pop(drop)  # the others keep their old index in their keys; re-keyed below
    else:
        for result in results:
            errors.update(result.errors)
        if count < low:
            repeat_error = FieldInvalid(_("%(item)sを%(n)d件以上入力してください。") % {
                "item": localised(repeat["item"], language), "n": low})  # fmt: skip
    done = action not in ("add",) and not action.startswith("remove:") and not errors and repeat_error is None
    items = [RenderItem(i, render_fields(page["fields"], _reindex(raw, i), errors, language, i))
             for i, raw in enumerate(raws)]  # fmt: skip
    return RepeatPage(items=items, errors=errors, repeat_error=repeat_error,
                      values=[r.values for r in results] if done else None, action=action)  # fmt: skip
