"""A small reader of the Solr query syntax CKAN clients send to ``package_search`` (``q``, ``fq``).

CKAN hands ``q`` and ``fq`` to Solr; we have no Solr (and want none for a few thousand datasets),
so this reads the part of the syntax harvesters and CKAN's own front end use, and turns it into a
Django ``Q`` over ``Dataset``:

* ``*:*`` (everything); free words (all must match the title, notes, name, tags or resources);
* ``field:value``, ``field:"a phrase"``, ``field:(a OR b)``, ``field:*``;
* ranges ``field:[A TO B]`` (``{`` ``}`` exclusive), with ``*``, ``NOW`` and ``NOW-7DAYS`` style date
  maths, on ``metadata_modified`` and ``metadata_created`` (``2024-01-01T00:00:00Z``, fractions
  allowed, or a bare date);
* ``-clause`` / ``NOT clause`` (exclude), ``+clause``, ``a OR b``, ``AND``, parentheses. Clauses
  side by side must all match (what CKAN's harvesters mean by ``fq=a b``).

Fields: ``name``, ``id``, ``title``, ``notes``, ``text``, ``tags``, ``organization`` /
``owner_org`` (the department code), ``groups`` (the theme), ``license_id``, ``res_format``,
``metadata_modified``, ``metadata_created``, ``state`` (``active``), ``dataset_type`` / ``type``
(``dataset``), ``capacity`` (``public``), ``private`` (``false``). Anything else is a Search Query
Error, as Solr answers for an undefined field. Hand-written because no maintained library parses
Lucene syntax into Django queries; it is small and tested on its own (tests/test_ckan_api.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

STANDARD_TAG = "自治体標準ODS"


class QueryError(ValueError):
    """The query cannot be read (CKAN: Search Query Error)."""


# --- tokens ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "word", "phrase", "range", "-", "+"
    text: str = ""


_SPECIAL = set('()"[]{}')


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token(ch))
            i += 1
        elif ch == '"':
            end = i + 1
            buf = []
            while end < n and text[end] != '"':
                if text[end] == "\\" and end + 1 < n:
                    end += 1
                buf.append(text[end])
                end += 1
            if end >= n:
                raise QueryError("unclosed quotation mark")
            tokens.append(Token("phrase", "".join(buf)))
            i = end + 1
        elif ch in "[{":
            end = i + 1
            while end < n and text[end] not in "]}":
                end += 1
            if end >= n:
                raise QueryError("unclosed range")
            tokens.append(Token("range", text[i : end + 1]))
            i = end + 1
        elif ch in "]}":
            raise QueryError(f"unexpected {ch!r}")
        elif ch in "+-" and i + 1 < n and not text[i + 1].isspace():
            tokens.append(Token(ch))
            i += 1
        else:
            buf = []
            while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            word = "".join(buf)
            tokens.append(Token("word", word))
    return tokens


# --- syntax tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    op: str  # "and", "or", "not", "field", "text", "all"
    children: tuple = ()
    field: str = ""
    value: object = None  # ("term", str) | ("phrase", str) | ("range", lo, hi, lo_incl, hi_incl)


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def query(self, field: str | None = None, *, closing: bool = False) -> Node:
        clauses: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == ")":
                if not closing:
                    raise QueryError("unexpected ')'")
                break
            if token.kind == "word" and token.text == "AND":
                self.take()
                continue
            clauses.append(self.or_expr(field))
        if not clauses:
            return Node("all")
        return clauses[0] if len(clauses) == 1 else Node("and", tuple(clauses))

    def or_expr(self, field: str | None) -> Node:
        options = [self.unary(field)]
        while (token := self.peek()) is not None and token.kind == "word" and token.text in ("OR", "||"):
            self.take()
            if self.peek() is None or self.peek().kind == ")":
                raise QueryError("nothing after OR")
            options.append(self.unary(field))
        return options[0] if len(options) == 1 else Node("or", tuple(options))

    def unary(self, field: str | None) -> Node:
        token = self.peek()
        if token.kind == "-" or (token.kind == "word" and token.text == "NOT"):
            self.take()
            if self.peek() is None:
                raise QueryError("nothing after NOT")
            return Node("not", (self.unary(field),))
        if token.kind == "+":
            self.take()
            if self.peek() is None:
                raise QueryError("nothing after +")
        return self.primary(field)

    def primary(self, field: str | None) -> Node:
        token = self.take()
        if token.kind == "(":
            node = self.query(field, closing=True)
            if self.peek() is None:
                raise QueryError("unclosed '('")
            self.take()
            return node
        if token.kind in ("phrase", "range"):
            if field is None:
                if token.kind == "range":
                    raise QueryError("a range needs a field")
                return Node("text", value=("phrase", token.text))
            return self._value(field, token)
        if token.kind == "word":
            word = token.text
            if field is None and word == "*:*":
                return Node("all")
            name, colon, rest = word.partition(":")
            if colon and field is None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name):
                if rest:
                    return self._value(name, Token("word", rest))
                following = self.peek()
                if following is None:
                    raise QueryError(f"no value for {name}")
                if following.kind == "(":
                    self.take()
                    node = self.query(name, closing=True)
                    if self.peek() is None:
                        raise QueryError("unclosed '('")
                    self.take()
                    return node
                if following.kind in ("phrase", "range", "word"):
                    return self._value(name, self.take())
                raise QueryError(f"no value for {name}")
            if field is not None:
                return self._value(field, token)
            return Node("text", value=("term", word))
        raise QueryError(f"unexpected {token.kind!r}")

    @staticmethod
    def _value(field: str, token: Token) -> Node:
        if token.kind == "range":
            return Node("field", field=field, value=_parse_range(token.text))
        return Node("field", field=field, value=("phrase" if token.kind == "phrase" else "term", token.text))


def parse(text: str) -> Node:
    text = (text or "").strip()
    if not text:
        return Node("all")
    return _Parser(tokenize(text)).query()


def _parse_range(raw: str):
    match = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])", raw)
    if not match:
        raise QueryError(f"cannot read the range {raw}")
    opening, low, high, closing = match.groups()
    return ("range", low, high, opening == "[", closing == "]")


# --- dates ---------------------------------------------------------------------------------------------

_MATH = re.compile(r"([+-])(\d+)(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?")
_UNITS = {"DAY": timedelta(days=1), "HOUR": timedelta(hours=1), "MINUTE": timedelta(minutes=1),
          "SECOND": timedelta(seconds=1), "MONTH": timedelta(days=30), "YEAR": timedelta(days=365)}  # fmt: skip


def parse_when(value: str, *, now: datetime | None = None) -> datetime | None:
    """A Solr date: ``*`` (None), ``NOW`` with ``+1DAY``/``-7DAYS`` maths and ``/DAY`` rounding, an ISO
    8601 time in UTC (``Z``; CKAN's naive times are UTC too) or a date."""
    if value == "*":
        return None
    if value.startswith("NOW"):
        moment = now or timezone.now()
        rest = value[3:]
        rounding = None
        if "/" in rest:
            rest, _slash, rounding = rest.partition("/")
        position = 0
        for match in _MATH.finditer(rest):
            if match.start() != position:
                raise QueryError(f"cannot read the date {value}")
            sign = 1 if match.group(1) == "+" else -1
            moment += sign * int(match.group(2)) * _UNITS[match.group(3)]
            position = match.end()
        if position != len(rest):
            raise QueryError(f"cannot read the date {value}")
        if rounding:
            if rounding.rstrip("S") != "DAY":
                raise QueryError(f"cannot round a date to {rounding}")
            moment = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return moment
    text = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"cannot read the date {value}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


# --- to a Django query ---------------------------------------------------------------------------------


FIELDS = {
    "name", "id", "title", "notes", "text", "tags", "organization", "owner_org", "groups", "license_id",
    "res_format", "metadata_modified", "metadata_created", "state", "dataset_type", "type", "capacity",
    "private", "conforms_to",
}  # fmt: skip
DATE_FIELDS = {"metadata_modified", "metadata_created"}


class Compiler:
    """Turns a parsed query into a ``Q`` over ``Dataset``; ``standards`` maps standard ids to names."""

    def __init__(self, *, standards: dict[str, str]):
        self.standards = standards
        self.by_standard_name = {name: sid for sid, name in standards.items()}

    def compile(self, node: Node) -> Q:
        if node.op == "all":
            return Q()
        if node.op == "and":
            result = Q()
            for child in node.children:
                result &= self.compile(child)
            return result
        if node.op == "or":
            result = self.compile(node.children[0])
            for child in node.children[1:]:
                result |= self.compile(child)
            return result
        if node.op == "not":
            inner = self.compile(node.children[0])
            return ~inner if inner else Q(pk__in=[])
        if node.op == "text":
            return self._text(node.value[1])
        return self._field(node.field, node.value)

    # Free text: every word must be found in the title, notes, name, a tag or a resource.
    def _text(self, text: str) -> Q:
        result = Q()
        for word in text.split():
            word = word.strip("*?")
            if word:
                result &= self._word(word)
        return result

    def _word(self, word: str) -> Q:
        from .models import Resource, Tag

        tagged = Tag.objects.filter(name__icontains=word).values("datasets")
        resources = Resource.objects.filter(
            Q(name__icontains=word) | Q(description__icontains=word), current_version__isnull=False
        ).values("dataset_id")
        standard_ids = [sid for sid, name in self.standards.items() if word.lower() in name.lower()]
        matches = (
            Q(title__icontains=word)
            | Q(notes__icontains=word)
            | Q(name__icontains=word)
            | Q(search_text__icontains=word)
            | Q(department__name__icontains=word)
            | Q(pk__in=tagged)
            | Q(pk__in=resources)
        )
        if standard_ids or word in STANDARD_TAG:
            matches |= Q(conforms_to__in=standard_ids) if standard_ids else ~Q(conforms_to="")
        return matches

    def _field(self, field: str, value) -> Q:
        if field not in FIELDS:
            raise QueryError(f"undefined field {field}")
        kind = value[0]
        if kind == "range":
            if field not in DATE_FIELDS:
                raise QueryError(f"ranges are supported on {', '.join(sorted(DATE_FIELDS))} only")
            _kind, low, high, low_incl, high_incl = value
            result = Q()
            if (lo := parse_when(low)) is not None:
                result &= Q(**{f"{field}__{'gte' if low_incl else 'gt'}": lo})
            if (hi := parse_when(high)) is not None:
                result &= Q(**{f"{field}__{'lte' if high_incl else 'lt'}": hi})
            return result
        text = value[1]
        if text == "*":
            if field == "tags":
                return Q(pk__in=_tagged_any()) | ~Q(conforms_to="")
            return Q()
        if field in DATE_FIELDS:
            return Q(**{field: parse_when(text)})
        if field == "name":
            return _wild("name", text)
        if field == "id":
            try:
                return Q(pk=uuid.UUID(text))
            except ValueError:
                return Q(pk__in=[])
        if field == "title":
            return self._words("title", text)
        if field == "notes":
            return self._words("notes", text)
        if field == "text":
            return self._text(text)
        if field in ("organization", "owner_org"):
            return Q(department__code=text)
        if field == "groups":
            return Q(theme=text.upper())
        if field == "license_id":
            return Q(license_id=text)
        if field == "conforms_to":
            return Q(conforms_to=text)
        if field == "res_format":
            from .models import Resource

            formats = Resource.objects.filter(
                format__iexact=text, current_version__isnull=False, removed_at__isnull=True
            ).values("dataset_id")
            return Q(pk__in=formats)
        if field == "tags":
            from .models import Tag

            result = Q(pk__in=Tag.objects.filter(name=text).values("datasets"))
            if text == STANDARD_TAG:
                result |= ~Q(conforms_to="")
            elif text in self.by_standard_name:
                result |= Q(conforms_to=self.by_standard_name[text])
            return result
        # Fields every public dataset has one value of.
        everything = {"state": "active", "dataset_type": "dataset", "type": "dataset", "capacity": "public",
                      "private": "false"}  # fmt: skip
        return Q() if text.lower() == everything[field] else Q(pk__in=[])

    @staticmethod
    def _words(field: str, text: str) -> Q:
        result = Q()
        for word in text.split():
            word = word.strip("*?")
            if word:
                result &= Q(**{f"{field}__icontains": word})
        return result


def _wild(field: str, text: str) -> Q:
    if "*" not in text and "?" not in text:
        return Q(**{field: text})
    pattern = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text) + "$"
    return Q(**{f"{field}__regex": pattern})


def _tagged_any():
    from .models import Tag

    return Tag.objects.values("datasets")


# --- sort ----------------------------------------------------------------------------------------------

SORT_FIELDS = {
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
    "name": "name",
    "title_string": "title",
    "title": "title",
    "id": "id",
}
IGNORED_SORT = {"score", "relevance", "views_recent", "views_total", "_version_"}
DEFAULT_SORT = "score desc, metadata_modified desc"


def order_by(sort: str) -> list[str]:
    """Django ordering for a Solr sort (``metadata_modified asc, name desc``), ending with ``id`` so that
    pages by rows/start never repeat or skip a dataset."""
    ordering: list[str] = []
    for part in (sort or DEFAULT_SORT).split(","):
        bits = part.split()
        if not bits:
            continue
        if len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
            raise QueryError(f"cannot sort by {part.strip()!r}")
        field = bits[0]
        direction = bits[1].lower() if len(bits) == 2 else "asc"
        if field in IGNORED_SORT:  # no relevance ranking here: the default order stands in for it
            continue
        if field not in SORT_FIELDS:
            raise QueryError(f"can not sort on undefined field {field}")
        column = SORT_FIELDS[field]
        ordering.append(("-" if direction == "desc" else "") + column)
    if not ordering:
        ordering = ["-metadata_modified"]
    if not any(o.lstrip("-") == "id" for o in ordering):
        ordering.append("id")
    return ordering
