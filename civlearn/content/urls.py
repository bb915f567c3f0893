"""Announcements, 下載專區 and help under each face's prefix (included at the site root, namespace "content")."""

from django.urls import path

from civlearn.content import views

app_name = "content"

urlpatterns = [
    path("ecpa/announcements/", views.announcement_list, {"face": "ecpa"}, name="ecpa_announcements"),
    path("ecpa/announcements/<int:pk>/", views.announcement_detail, {"face": "ecpa"}, name="ecpa_announcement"),
    path("ecpa/announcements/files/<int:pk>", views.attachment_download, name="attachment"),
    path("ecpa/downloads/", views.download_list, name="downloads"),
    path("ecpa/downloads/<int:pk>/file", views.download_file, name="download_file"),
    path("ecpa/help/", views.help_index, {"face": "ecpa"}, name="ecpa_help"),
    path("ecpa/help/<slug:slug>/", views.help_page, {"face": "ecpa"}, name="ecpa_help_page"),
    path("elearn/news/", views.announcement_list, {"face": "elearn"}, name="elearn_news"),
    path("elearn/news/<int:pk>/", views.announcement_detail, {"face": "elearn"}, name="elearn_news_item"),
    path("elearn/help/", views.help_index, {"face": "elearn"}, name="elearn_help"),
    path("elearn/help/<slug:slug>/", views.help_page, {"face": "elearn"}, name="elearn_help_page"),
    path("lifelong/about/<slug:slug>/", views.help_page, {"face": "lifelong"}, name="lifelong_page"),
    path(
        "lifelong/announcements/<int:pk>/",
        views.announcement_detail,
        {"face": "lifelong"},
        name="lifelong_announcement",
    ),
]
