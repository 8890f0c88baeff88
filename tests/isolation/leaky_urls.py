"""A URLconf with id-taking routes nobody registered: the isolation test must notice them."""

from django.http import HttpResponse
from django.urls import include, path


def _view(request, **kwargs):
    return HttpResponse("leak")


_inner = (
    [
        path("things/<int:pk>/", _view, name="thing"),
        path("things/<uuid:ref>/", _view),
        path("about/", _view, name="about"),
    ],
    "leaky",
)

urlpatterns = [path("nested/", include(_inner))]
