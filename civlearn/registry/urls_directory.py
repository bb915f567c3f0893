"""機關組織 under /ecpa/agencies/ (namespace "directory")."""

from django.urls import path

from civlearn.registry import views_directory

app_name = "directory"

urlpatterns = [
    path("", views_directory.directory, name="index"),
    path("<str:code>/", views_directory.agency_detail, name="agency"),
]
