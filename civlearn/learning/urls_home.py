"""個人專區 URLs, included under /elearn/home/ in the learning namespace."""

from django.urls import path

from civlearn.learning import views_home

urlpatterns = [
    path("", views_home.home_view, name="home"),
    path("profile/", views_home.profile_view, name="home_profile"),
    path("profile/photo", views_home.photo_view, name="home_photo"),
    path("profile/photo/upload", views_home.photo_upload_view, name="home_photo_upload"),
    path("profile/photo/remove", views_home.photo_remove_view, name="home_photo_remove"),
    path("goals/", views_home.goals_view, name="home_goals"),
    path("records/", views_home.records_view, name="home_records"),
    path("records/charts/", views_home.charts_view, name="home_charts"),
    path("records/history/", views_home.history_view, name="home_history"),
    path("packages/", views_home.packages_view, name="home_packages"),
]

# 我教的課 (provider staff)
from civlearn.learning import views_provider  # noqa: E402

urlpatterns += [
    path("teach/", views_provider.teach_list_view, name="teach"),
    path("teach/<str:code>/", views_provider.teach_course_view, name="teach_course"),
    path("teach/<str:code>/publish", views_provider.teach_publish_view, name="teach_publish"),
    path("teach/<str:code>/units/add", views_provider.teach_unit_add_view, name="teach_unit_add"),
    path("teach/<str:code>/units/<int:unit_id>/", views_provider.teach_unit_view, name="teach_unit"),
    path("teach/<str:code>/results/", views_provider.teach_results_view, name="teach_results"),
    path("teach/<str:code>/results.<str:fmt>", views_provider.teach_export_view, name="teach_export"),
]
