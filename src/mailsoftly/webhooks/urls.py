from django.urls import path

from mailsoftly.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/enable/", views.endpoint_enable, name="endpoint_enable"),
    path("<int:pk>/trash/", views.endpoint_trash, name="endpoint_trash"),
    path("deliveries/<int:pk>/retry/", views.message_retry, name="message_retry"),
]
