"""``/api/v1/`` (the ninja API behind the gateway) and the API keys page."""

from django.urls import include, path, re_path

from mailsoftly.api import views
from mailsoftly.api.gateway import guard_patterns
from mailsoftly.api.v1 import api

app_name = "api"

_patterns, _app, _namespace = api.urls

urlpatterns = [
    path(
        "api/v1/", include(guard_patterns(_patterns, open_names={"openapi-json", "openapi-view"}))
    ),
    # Anything else under /api/v1/ (an unknown path, an id that is not a number) is a
    # problem+json 404 like the others, not the site's HTML page.
    re_path(r"^api/v1/", views.api_not_found, name="not_found"),
    path("settings/api-keys/", views.key_list, name="keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
