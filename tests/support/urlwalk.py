"""Walk the URL configuration: every route with its view and its access rule."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str | None
    pattern: str
    view: object
    namespace: str | None

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}:{self.name}" if self.namespace else str(self.name)

    @property
    def rule(self):
        return getattr(self.view, "access_rule", None)


def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str | None = None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if entry.namespace and namespace:
                ns = f"{namespace}:{entry.namespace}"
            yield from walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield Route(entry.name, prefix + str(entry.pattern), entry.callback, namespace)
