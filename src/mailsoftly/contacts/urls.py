from django.urls import path

from mailsoftly.contacts import public, segment_views, views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("new/", views.contact_create, name="contact_create"),
    path("export/", views.contact_export, name="contact_export"),
    path("<int:pk>/", views.contact_detail, name="contact_detail"),
    path("<int:pk>/lists/", views.contact_subscription, name="contact_subscription"),
    path("<int:pk>/trash/", views.contact_trash, name="contact_trash"),
    path("<int:pk>/erase/", views.contact_erase, name="contact_erase"),
    path("lists/", views.list_list, name="list_list"),
    path("lists/<int:pk>/", views.list_detail, name="list_detail"),
    path("lists/<int:pk>/trash/", views.list_trash, name="list_trash"),
    path("fields/", views.field_list, name="field_list"),
    path("fields/<int:pk>/trash/", views.field_trash, name="field_trash"),
    path("suppression/", views.suppression_list, name="suppression_list"),
    path("suppression/<int:pk>/remove/", views.suppression_remove, name="suppression_remove"),
    path("segments/", segment_views.segment_list, name="segment_list"),
    path("segments/new/", segment_views.segment_create, name="segment_create"),
    path("segments/count/", segment_views.segment_count, name="segment_count"),
    path("segments/<int:pk>/", segment_views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/trash/", segment_views.segment_trash, name="segment_trash"),
    path("imports/", views.import_new, name="import_new"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("imports/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
    path("subscribe/<uuid:form_key>/", public.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", public.subscribe_confirm, name="subscribe_confirm"),
]
