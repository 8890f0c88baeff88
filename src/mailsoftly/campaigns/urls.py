from django.urls import path

from mailsoftly.campaigns import unsubscribe, views

app_name = "campaigns"

urlpatterns = [
    path("u/<str:token>/", unsubscribe.unsubscribe_view, name="unsubscribe"),
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/new/", views.campaign_create_view, name="create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="progress"),
    path("campaigns/<int:pk>/action/", views.campaign_action, name="action"),
    path("campaigns/<int:pk>/captured/", views.campaign_captured, name="captured"),
]
