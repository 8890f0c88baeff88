from django.urls import path

from mailsoftly.teams import views

app_name = "teams"

urlpatterns = [
    path("new/", views.workspace_new, name="workspace_new"),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove_view, name="member_remove"),
    path("members/<int:pk>/restore/", views.member_restore_view, name="member_restore"),
    path("members/<int:pk>/make-primary/", views.primary_transfer, name="primary_transfer"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("invitations/received/", views.invitations_received, name="invitations_received"),
    path("invitations/received/<int:pk>/", views.invitation_answer, name="invitation_answer"),
    path("invite/<str:token>/", views.invitation_open, name="invitation_open"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/domains/<int:pk>/verify/", views.domain_verify_view, name="domain_verify"),
    path("settings/domains/<int:pk>/remove/", views.domain_remove_view, name="domain_remove"),
    path("settings/domains/<int:pk>/accounts/", views.domain_accounts, name="domain_accounts"),
    path(
        "billing-details/<str:token>/",
        views.billing_details_request_view,
        name="billing_details_request",
    ),
]
