from madoguchi.organisations.selectors import municipality_get_current


def site(request):
    """The city shown in every page's header and footer (one query per request, lazily)."""
    cache: dict = {}

    def municipality():
        if "m" not in cache:
            cache["m"] = municipality_get_current()
        return cache["m"]

    return {"municipality": municipality}
