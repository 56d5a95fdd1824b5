"""The schema.org Dataset of a dataset page, as JSON-LD (``opendata/_jsonld.html``)."""

import json

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from madoguchi.opendata.dcat import schema_org

register = template.Library()

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@register.simple_tag
def dataset_jsonld(dataset) -> str:
    """A ``<script type="application/ld+json">`` with nothing in it that could end the script element."""
    data = schema_org(dataset, base=settings.MADOGUCHI_SITE_URL.rstrip("/"))
    text = json.dumps(data, ensure_ascii=False).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 -- escaped above
