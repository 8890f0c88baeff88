from django.urls import path

from mailsoftly.sending import views

app_name = "sending"

urlpatterns = [
    path("", views.sending_settings, name="settings"),
    path("servers/new/", views.server_create, name="server_create"),
    path("servers/<int:pk>/", views.server_edit, name="server_edit"),
    path("servers/<int:pk>/test/", views.server_test, name="server_test"),
    path("servers/<int:pk>/trash/", views.server_trash, name="server_trash"),
    path("senders/new/", views.identity_create, name="identity_create"),
    path("dkim/new/", views.dkim_create, name="dkim_create"),
    path("dkim/<int:pk>/check/", views.dkim_check, name="dkim_check"),
    path("dkim/<int:pk>/trash/", views.dkim_trash, name="dkim_trash"),
    path("bounce-hooks/new/", views.bounce_hook_create, name="bounce_hook_create"),
    path("bounce-hooks/<int:pk>/trash/", views.bounce_hook_trash, name="bounce_hook_trash"),
]
