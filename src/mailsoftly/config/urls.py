from django.contrib import admin
from django.urls import include, path

from mailsoftly.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("mailsoftly.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", include("mailsoftly.audit.urls")),
    path("contacts/", include("mailsoftly.contacts.urls")),
    path("billing/", include("mailsoftly.billing.urls")),
    path("lifecycle/", include("mailsoftly.lifecycle.urls")),
    path("team/", include("mailsoftly.teams.urls")),
    path("workspace/region/", include("mailsoftly.residency.urls")),
    path("", include("mailsoftly.designs.urls")),
    path("settings/sending/", include("mailsoftly.sending.urls")),
    path("hooks/bounces/", include("mailsoftly.sending.hook_urls")),
    path("", include("mailsoftly.tracking.urls")),
    path("screening/", include("mailsoftly.screening.urls")),
    path("", include("mailsoftly.campaigns.urls")),
    path("", include("mailsoftly.ops.urls")),
    path("", include("mailsoftly.api.urls")),
    path("settings/webhooks/", include("mailsoftly.webhooks.urls")),
    path("", include("mailsoftly.web.urls")),
]
