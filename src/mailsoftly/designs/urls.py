from django.urls import path

from mailsoftly.designs import views, visual

app_name = "designs"

urlpatterns = [
    path("designs/", views.design_list, name="list"),
    path("designs/new/", views.design_new, name="new"),
    path("designs/preview/", views.design_preview_draft, name="preview_draft"),
    path("designs/<int:pk>/", views.design_edit, name="edit"),
    path("designs/<int:pk>/visual/", visual.design_visual, name="visual"),
    path("designs/<int:pk>/preview/", views.design_preview, name="preview"),
    path("designs/<int:pk>/links/", views.design_links, name="links"),
    path("designs/<int:pk>/test-send/", views.design_test_send_view, name="test_send"),
    path("designs/<int:pk>/duplicate/", views.design_duplicate, name="duplicate"),
    path("designs/<int:pk>/rename/", views.design_rename, name="rename"),
    path("designs/<int:pk>/trash/", views.design_trash, name="trash"),
    path("designs/<int:pk>/publish/", views.design_publish, name="publish"),
    path("designs/<int:pk>/unpublish/", views.design_unpublish, name="unpublish"),
    path("designs/<int:pk>/versions/", views.design_versions, name="versions"),
    path(
        "designs/<int:pk>/versions/<int:version_pk>/restore/",
        views.design_version_restore,
        name="version_restore",
    ),
    path("designs/<int:pk>/save-as-template/", views.design_save_as_template, name="save_template"),
    path("designs/media/", views.media_library, name="media"),
    path("designs/media/<int:pk>/trash/", views.media_delete, name="media_trash"),
    path("m/<str:key>", views.media_file, name="media_file"),
    path("designs/templates/<int:pk>/trash/", views.template_trash, name="template_trash"),
    path("e/archive/<str:token>/", views.design_archive, name="archive"),
    path("e/archive/<str:token>/feed/", views.ArchiveFeed(), name="archive_feed"),
    path("e/<str:slug>/", views.design_public, name="public"),
]
