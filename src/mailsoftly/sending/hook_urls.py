from django.urls import path

from mailsoftly.sending import hooks

app_name = "bounce_hooks"

urlpatterns = [path("<slug:source>/", hooks.bounce_hook, name="receive")]
