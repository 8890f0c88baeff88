"""A test-only URLconf with planted bugs: the crawler must report each of them."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import include, path

# Rows the half-writing view "saved"; the control test counts them.
half_written: list[str] = []

FORM = '<form method="post"><input name="name"><input type="hidden" name="op" value="save"></form>'


def boom(request):
    raise RuntimeError("planted failure")


def fragile(request, pk):
    if pk > 2**63 - 1:
        raise OverflowError("planted: id too large for the column")
    return HttpResponse("ok")


def careful(request):
    if request.method == "POST" and "\x00" in request.POST.get("name", ""):
        raise ValueError("planted: NUL reached the database")
    return HttpResponse(FORM)


def half_writer(request):
    if request.method == "POST" and request.POST.get("op") == "save":
        half_written.append(request.POST.get("name", ""))
        if "\x00" in request.POST.get("name", ""):
            return HttpResponseBadRequest("refused, but after writing")
    return HttpResponse(FORM)


_planted = (
    [
        path("boom/", boom, name="boom"),
        path("fragile/<int:pk>/", fragile, name="fragile"),
        path("careful/", careful, name="careful"),
        path("half-writer/", half_writer, name="half_writer"),
    ],
    "planted",
)

urlpatterns = [path("planted/", include(_planted))]
