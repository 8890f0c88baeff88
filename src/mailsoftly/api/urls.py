"""``/api/v1/`` (the ninja API behind the gateway) and the API keys page."""

from django.urls import include, path

from mailsoftly.api import views
from mailsoftly.api.gateway import guard_patterns
from mailsoftly.api.v1 import api

app_name = "api"

_patterns, _app, _namespace = api.urls

urlpatterns = [
    path(
        "api/v1/", include(guard_patterns(_patterns, open_names={"openapi-json", "openapi-view"}))
    ),
    path("settings/api-keys/", views.key_list, name="keys"),
    path("settings/api-keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
