from django.urls import path

from mailsoftly.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.plan_page, name="plan"),
    path("choose/", views.plan_choose_view, name="choose"),
    path("cancel/", views.cancel_view, name="cancel"),
    path("portal/", views.portal_view, name="portal"),
    path("checkout/return/", views.checkout_return, name="checkout_return"),
    path("profile/", views.profile_view, name="profile"),
    path("invoices/", views.invoice_list_view, name="invoices"),
    path("invoices/<int:invoice_id>/download/", views.invoice_download, name="invoice_download"),
    path("fake-gateway/checkout/<str:token>/", views.fake_checkout, name="fake_checkout"),
    path("webhooks/<str:gateway>/", views.webhook, name="webhook"),
]
