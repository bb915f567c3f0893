"""SCORM URLs, included under /elearn/ (namespace "scorm").

Platform origin: /elearn/scorm/<unit>/ (learner), /elearn/provide/scorm/… (provider).
Content origin only: /elearn/scorm-content/… (player, package files, commits, beats)."""

from django.urls import path

from civlearn.learning.provide import scorm_views
from civlearn.learning.scorm import runtime, views

app_name = "scorm"

urlpatterns = [
    path("scorm/<int:unit_id>/", views.play_view, name="play"),
    path("provide/scorm/", scorm_views.provide_list_view, name="provide_list"),
    path("provide/scorm/<int:package_id>/", scorm_views.provide_detail_view, name="provide_detail"),
    path("provide/scorm/<int:package_id>/preview/", views.preview_view, name="preview"),
    path("provide/scorm/<int:package_id>/publish", scorm_views.provide_publish_view, name="provide_publish"),
    path("provide/scorm/<int:package_id>/remove", scorm_views.provide_remove_view, name="provide_remove"),
    path("scorm-content/play/<str:launch>/", runtime.player_view, name="player"),
    path("scorm-content/commit/<str:token>", runtime.commit_view, name="commit"),
    path("scorm-content/beat", runtime.beat_view, name="beat"),
    path("scorm-content/course/<str:launch>/", runtime.course_player_view, name="course_player"),
    path("scorm-content/deliver/<str:token>", runtime.deliver_view, name="deliver"),
    path("scorm-content/sequencing/<str:token>", runtime.course_state_view, name="course_state"),
    # Before the package-file pattern, which would otherwise take "preview" for a storage key.
    path("scorm-content/preview/<str:token>/<path:path>", runtime.preview_content_view, name="preview_content"),
    path("scorm-content/<str:key>/<path:path>", runtime.content_view, name="content"),
]
