from django.urls import path, register_converter

from mailsoftly.tracking import preferences, views


class TokenConverter:
    regex = r"[A-Za-z0-9._\-]{1,80}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "trk")

app_name = "tracking"

urlpatterns = [
    path("o/<trk:token>.gif", views.open_view, name="open"),
    path("c/<trk:token>", views.click_view, name="click"),
    path("p/<str:token>/", preferences.preferences_view, name="preferences"),
    path("campaigns/<int:pk>/report/", views.report_view, name="report"),
    path("campaigns/<int:pk>/report.<str:fmt>", views.report_export, name="report_export"),
    path("platform/statistics/", views.platform_statistics_view, name="platform_statistics"),
]
