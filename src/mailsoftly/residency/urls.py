from django.urls import path

from mailsoftly.residency import views

app_name = "residency"

urlpatterns = [
    path("", views.region_page, name="region"),
    path("move/", views.region_move_start, name="move"),
    path("progress/", views.region_progress, name="progress"),
]
