from django.urls import path

from mailsoftly.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.my_account, name="my_account"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("cookies/", views.cookie_consent, name="cookie_consent"),
    path("privacy/", views.privacy_policy, name="privacy_policy"),
]
