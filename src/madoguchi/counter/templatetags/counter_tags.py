"""Template helpers of the counter pages."""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_AUTOCOMPLETE = re.compile(r'\sautocomplete="[^"]*"')
_INPUT = re.compile(r"<(input|textarea|select)\b(?![^>]*\sautocomplete=)")


@register.filter(is_safe=True)
def no_autofill(html: str) -> str:
    """The form's inputs with the browser's autofill turned off: at the counter the member of staff types
    in somebody else's answers, and the next visitor must not be offered the last one's."""
    html = _AUTOCOMPLETE.sub(' autocomplete="off"', str(html))
    return mark_safe(_INPUT.sub(r'<\1 autocomplete="off"', html))  # noqa: S308 - our own rendered form
