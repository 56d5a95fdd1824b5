"""The site's URLs plus one deliberately slow view, for tests/test_overload.py only.

The slow view holds its thread until the test opens the gate, so a test knows exactly how many
requests are being worked at once.
"""

from __future__ import annotations

import threading

from django.http import HttpResponse
from django.urls import path

from madoguchi.core.access import public
from madoguchi.urls import handler400, handler403, handler404, handler500  # noqa: F401
from madoguchi.urls import urlpatterns as site_urlpatterns


class Gate:
    def __init__(self):
        self.lock = threading.Lock()
        self.entered = 0
        self.open = threading.Event()

    def reset(self):
        with self.lock:
            self.entered = 0
        self.open.clear()


gate = Gate()


@public
def slow(request):
    with gate.lock:
        gate.entered += 1
    gate.open.wait(timeout=15)
    return HttpResponse("worked", content_type="text/plain")


urlpatterns = [*site_urlpatterns, path("test-overload/slow/", slow)]
