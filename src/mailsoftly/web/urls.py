from django.urls import path

from mailsoftly.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("workspaces/switch/", views.workspace_switch, name="workspace_switch"),
    path("outbox/", views.outbox_list, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path("outbox/<int:pk>/html/", views.outbox_html, name="outbox_html"),
]
