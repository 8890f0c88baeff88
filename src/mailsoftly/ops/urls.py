from django.urls import path

from mailsoftly.ops import metrics, views

app_name = "ops"

urlpatterns = [
    path("support/", views.console, name="console"),
    path("support/accounts/<str:pk>/", views.support_account, name="support_account"),
    path("support/workspaces/<str:pk>/", views.support_workspace, name="support_workspace"),
    path("support/newsletter/", views.newsletter, name="newsletter"),
    path("support/policies/", views.policy_publish, name="policy_publish"),
    path("account/access-history/", views.access_history, name="access_history"),
    path("account/sign-ins/", views.signin_history, name="signin_history"),
    path("policies/<str:kind>/", views.policy_page, name="policy"),
    path("policies-acknowledge/", views.policy_acknowledge, name="policy_acknowledge"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
