from django.urls import path

from mailsoftly.lifecycle import views

app_name = "lifecycle"

urlpatterns = [
    path("trash/", views.trash_page, name="trash"),
    path("trash/<str:key>/<str:pk>/restore/", views.trash_restore_view, name="trash_restore"),
    path("exports/", views.export_list, name="exports"),
    path("exports/<int:pk>/status/", views.export_status, name="export_status"),
    path("exports/<int:pk>/download/<str:token>/", views.export_download, name="export_download"),
    path("account/my-data/", views.my_data, name="my_data"),
    path("account/delete/", views.account_delete, name="account_delete"),
    path("account/deleted/", views.account_deleted, name="account_deleted"),
    path("holds/<int:pk>/export/", views.legal_hold_export_view, name="legal_hold_export"),
]
