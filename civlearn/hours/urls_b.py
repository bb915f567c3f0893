"""URLs of the institution area, the HR area and announcements (added to hours/urls.py's patterns)."""

from django.urls import path

from civlearn.hours import views_hr, views_institution

urlpatterns = [
    path("institution/upload", views_institution.upload, name="institution_upload"),
    path("institution/jobs", views_institution.job_list, name="institution_jobs"),
    path("institution/jobs/<int:job_id>", views_institution.job_detail, name="institution_job"),
    path("institution/jobs/<int:job_id>/status", views_institution.job_status, name="institution_job_status"),
    path(
        "institution/jobs/<int:job_id>/commit-valid",
        views_institution.job_commit_valid,
        name="institution_job_commit_valid",
    ),
    path("institution/jobs/<int:job_id>/retry", views_institution.job_retry, name="institution_job_retry"),
    path("institution/jobs/<int:job_id>/errors.csv", views_institution.job_errors_csv, name="institution_job_errors"),
    path("institution/export", views_institution.export, name="institution_export"),
    path("manage/", views_hr.report, name="hr"),
    path("manage/download.<str:fmt>", views_hr.download, name="hr_download"),
    path("manage/reminders", views_hr.reminders_view, name="hr_reminders"),
    path("announcements/", views_hr.announcement_list, name="announcements"),
]
