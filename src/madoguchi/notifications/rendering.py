"""Rendering notices from templates staff can edit, safely.

A template is Django template syntax on a plain-text engine of its own: no HTML escaping (the
e-mail is plain text; pages escape the stored text when they show it), no ``{% load %}``, no
``{% include %}`` or ``{% extends %}``, only the tags in ``ALLOWED_NODES``, and only the kind's
documented variables (``kinds.variables_for``), all plain strings, numbers and dates, so that a
template cannot reach into objects. ``validate`` checks a template field by field before it is saved.

The shipped defaults are files, ``templates/notifications/defaults/<kind>.<language>.txt``: the first
line is the subject, then a blank line, then the body.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, FirstOfNode, ForNode, IfNode, NowNode, WithNode
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .kinds import variables_for

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent / "templates" / "notifications" / "defaults"
SUBJECT_MAX = 200
BODY_MAX = 10_000
ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, WithNode, CommentNode, FirstOfNode, NowNode)
_INVALID = "\x00%s\x00"
_CONTEXT_BUILTINS = {"True", "False", "None", "forloop"}


class _TextEngine(Engine):
    # The default tags and filters only: loader tags (include, extends, block) are not there.
    default_builtins = ["django.template.defaulttags", "django.template.defaultfilters"]


_ENGINE = _TextEngine(autoescape=False, libraries={})
_STRICT = _TextEngine(autoescape=False, libraries={}, string_if_invalid=_INVALID)


@lru_cache(maxsize=64)
def default_template(kind: str, language: str) -> tuple[str, str]:
    """The shipped (subject, body) of a kind in a language (Japanese when the language has none)."""
    path = DEFAULTS_DIR / f"{kind}.{language}.txt"
    if not path.exists():
        path = DEFAULTS_DIR / f"{kind}.ja.txt"
    subject, _sep, body = path.read_text(encoding="utf-8").partition("\n")
    return subject.strip(), body.lstrip("\n")


def has_default(kind: str, language: str) -> bool:
    return (DEFAULTS_DIR / f"{kind}.{language}.txt").exists()


def localise(value, language: str):
    """A value given as {"ja": ..., "en": ...} in the language; lazy translations as text."""
    if isinstance(value, dict) and value and set(value) <= {"ja", "en"}:
        return value.get(language) or value.get("ja") or ""
    if isinstance(value, Promise):
        return str(value)
    return value


def _names_used(nodelist, used: set[str], defined: set[str], refused: list[str]) -> None:
    def expression(fe) -> None:
        if not isinstance(fe, FilterExpression):
            return
        for var in [fe.var, *(arg for _f, args in fe.filters for is_var, arg in args if is_var)]:
            if isinstance(var, Variable) and var.lookups:
                used.add(var.lookups[0])

    def condition(c) -> None:
        expression(getattr(c, "value", None))
        for part in (getattr(c, "first", None), getattr(c, "second", None)):
            if part is not None:
                condition(part)

    for node in nodelist:
        if not isinstance(node, ALLOWED_NODES):
            refused.append(
                node.token.contents.split()[0] if getattr(node, "token", None) else type(node).__name__
            )
            continue
        if isinstance(node, VariableNode):
            expression(node.filter_expression)
        elif isinstance(node, IfNode):
            for cond, branch in node.conditions_nodelists:
                if cond is not None:
                    condition(cond)
                _names_used(branch, used, defined, refused)
        elif isinstance(node, ForNode):
            expression(node.sequence)
            defined.update(node.loopvars)
            _names_used(node.nodelist_loop, used, defined, refused)
            _names_used(node.nodelist_empty, used, defined, refused)
        elif isinstance(node, WithNode):
            for name, value in node.extra_context.items():
                defined.add(name)
                expression(value)
            _names_used(node.nodelist, used, defined, refused)
        elif isinstance(node, FirstOfNode):
            for value in node.vars:
                expression(value)


def _check_one(source: str, allowed: tuple[str, ...], context: dict) -> tuple[list[str], str]:
    """Errors of one template (parse, tags, variables, rendering), and its rendering with the samples."""
    try:
        template = _STRICT.from_string(source)
    except TemplateSyntaxError as exc:
        return [_("書き方に誤りがあります：%(error)s") % {"error": exc}], ""
    used, defined, refused = set(), set(), []
    _names_used(template.nodelist, used, defined, refused)
    errors = [_("使えないタグです：%(tag)s") % {"tag": tag} for tag in sorted(set(refused))]
    unknown = sorted(used - set(allowed) - defined - _CONTEXT_BUILTINS)
    errors += [_("使えない変数です：%(name)s") % {"name": name} for name in unknown]
    if errors:
        return errors, ""
    try:
        rendered = template.render(Context(context, autoescape=False))
    except Exception as exc:  # a filter that fails on the sample values
        return [_("表示できません：%(error)s") % {"error": type(exc).__name__}], ""
    invalid = sorted(set(re.findall(r"\x00([^\x00]*)\x00", rendered)))
    errors += [_("使えない変数です：%(name)s") % {"name": name} for name in invalid]
    return errors, rendered


def sample_values(kind: str, language: str) -> dict:
    from .kinds import sample_context

    return {k: localise(v, language) for k, v in sample_context(kind).items()}


def validate(*, kind: str, language: str, subject: str, body: str) -> dict[str, list[str]]:
    """Field errors ({"subject": [...], "body": [...]}); empty when both render with the sample values."""
    allowed = variables_for(kind)
    from django.utils import translation

    errors: dict[str, list[str]] = {}
    with translation.override(language):
        context = sample_values(kind, language)
        for field, source in (("subject", subject), ("body", body)):
            problems, rendered = _check_one(source, allowed, context)
            if not problems and not rendered.strip():
                problems = [_("表示すると空になります。")]
            if problems:
                errors[field] = problems
    return errors


def _clean_subject(text: str) -> str:
    return " ".join(text.split())[:SUBJECT_MAX]


def _clean_body(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))[:BODY_MAX]


def render_source(subject: str, body: str, context: dict) -> tuple[str, str]:
    ctx = Context(context, autoescape=False)
    return (
        _clean_subject(_ENGINE.from_string(subject).render(ctx)),
        _clean_body(_ENGINE.from_string(body).render(ctx)),
    )


def preview(*, kind: str, language: str, subject: str, body: str) -> tuple[str, str]:
    """A template rendered with the sample values (for the edit page)."""
    from django.utils import translation

    with translation.override(language):
        return render_source(subject, body, sample_values(kind, language))


def template_source(kind: str, language: str) -> tuple[str, str, bool]:
    """(subject, body, edited) for a kind in a language: the staff's edit if any, else the default."""
    from .models import MessageTemplate

    edited = MessageTemplate.objects.filter(kind=kind, language=language).first()
    if edited is not None:
        return edited.subject, edited.body, True
    return (*default_template(kind, language), False)


def render_message(kind: str, language: str, context: dict) -> tuple[str, str]:
    """Subject and body of a notice; call inside ``translation.override(language)``."""
    subject, body, edited = template_source(kind, language)
    try:
        return render_source(subject, body, context)
    except Exception:
        if not edited:
            raise
        # Validated on save, so this should not happen; the shipped text never fails to go out.
        logger.exception("edited template failed, using the default kind=%s language=%s", kind, language)
        return render_source(*default_template(kind, language), context)
