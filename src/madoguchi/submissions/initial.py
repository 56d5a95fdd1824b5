"""Initial answers of a new draft, by procedure: other apps register a provider, ``draft_start``
asks them. A provider is called with no arguments when a draft starts and returns cleaned answers
(``{field id: value}``, as the runner saves them) or ``{}``; the citizen can change them like any
other answer. Drafts already started are never touched.

The disaster mode (``madoguchi.disaster``) uses it to pre-set 被災日 and 罹災原因 in 罹災証明."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_PROVIDERS: dict[str, list[Callable[[], dict]]] = {}


def register_initial_answers(procedure_slug: str, provider: Callable[[], dict]) -> None:
    providers = _PROVIDERS.setdefault(procedure_slug, [])
    if provider not in providers:
        providers.append(provider)


def initial_answers(procedure_slug: str) -> dict:
    """The answers a new draft of this procedure starts with (later providers win on a clash)."""
    answers: dict = {}
    for provider in _PROVIDERS.get(procedure_slug, ()):
        answers.update(provider() or {})
    return answers
