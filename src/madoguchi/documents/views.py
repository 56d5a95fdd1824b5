from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from madoguchi.core.access import public
from madoguchi.core.ratelimit import rate_limit

from .services import document_check, normalise_code

MAX_CHECK_BYTES = 20 * 1024 * 1024


@public
def verify_form(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "")
    if code:
        normalised = normalise_code(code)
        if normalised:
            return redirect("documents:verify", code=normalised)
        return render(request, "documents/verify_form.html", {"code": code, "error": True}, status=400)
    return render(request, "documents/verify_form.html", {})


@public
@require_http_methods(["GET", "POST"])
@rate_limit("document_verify", setting="lookup", method="GET")
def verify(request: HttpRequest, code: str) -> HttpResponse:
    content = None
    if request.method == "POST" and request.FILES.get("file"):
        upload = request.FILES["file"]
        content = upload.read(MAX_CHECK_BYTES + 1)
        if len(content) > MAX_CHECK_BYTES:
            content = b""
    result = document_check(code=code, content=content)
    return render(request, "documents/verify.html", {"result": result, "code": code, "checked": content is not None},
                  status=200 if result["found"] else 404)  # fmt: skip
