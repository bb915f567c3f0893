"""SCORM URLs, included under /elearn/ (namespace "scorm").

Platform origin: /elearn/scorm/<unit>/ (learner), /elearn/provide/scorm/… (provider).
Content origin only: /elearn/scorm-content/… (player, package files, commits, beats)."""

from django.urls import path

from civlearn.learning.scorm import runtime, views, views_provider

app_name = "scorm"

urlpatterns = [
    path("scorm/<int:unit_id>/", views.play_view, name="play"),
    path("provide/scorm/", views_provider.provide_list_view, name="provide_list"),
    path("provide/scorm/<int:package_id>/", views_provider.provide_detail_view, name="provide_detail"),
    path("provide/scorm/<int:package_id>/preview/", views.preview_view, name="preview"),
    path("provide/scorm/<int:package_id>/publish", views_provider.provide_publish_view, name="provide_publish"),
    path("provide/scorm/<int:package_id>/remove", views_provider.provide_remove_view, name="provide_remove"),
    path("scorm-content/play/<str:launch>/", runtime.player_view, name="player"),
    path("scorm-content/commit/<str:token>", runtime.commit_view, name="commit"),
    path("scorm-content/beat", runtime.beat_view, name="beat"),
    path("scorm-content/<str:key>/<path:path>", runtime.content_view, name="content"),
]
