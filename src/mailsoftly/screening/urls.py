from django.urls import path

from mailsoftly.screening import views

app_name = "screening"

urlpatterns = [
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("review/", views.review_queue, name="queue"),
    path("review/<str:region>/<int:pk>/", views.review_detail, name="detail"),
    path("review/<str:region>/<int:pk>/preview/", views.review_preview, name="preview"),
    path("review/<str:region>/<int:pk>/decide/", views.review_decide, name="decide"),
]
