from django.urls import path, register_converter

from mailsoftly.tracking import preferences, reports, views


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
    path("campaigns/<int:pk>/report/", reports.report_view, name="report"),
    path("campaigns/<int:pk>/report/figures/", reports.report_figures, name="report_figures"),
    path("campaigns/<int:pk>/report/audience/", reports.report_audience, name="report_audience"),
    path("campaigns/<int:pk>/report.<str:fmt>", reports.report_export, name="report_export"),
    path("platform/statistics/", views.platform_statistics_view, name="platform_statistics"),
]
