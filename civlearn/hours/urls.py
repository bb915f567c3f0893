from django.urls import path

from civlearn.hours import views_gaps, views_hr, views_institution, views_learner, views_rules

app_name = "hours"

urlpatterns = [
    path("", views_learner.front, name="front"),
    path("folder/", views_learner.folder_summary, name="folder"),
    path("folder/hours/", views_learner.folder_hours, name="hours"),
    path("folder/hours/export.xlsx", views_learner.export_xlsx, name="export_xlsx"),
    path("folder/hours/export.ods", views_learner.export_ods, name="export_ods"),
    path("folder/hours/print/", views_learner.print_hours, name="print"),
    path("manage/rules/", views_rules.agency_rules, name="agency_rules"),
    path("manage/rules/<int:rule_id>/delete", views_rules.agency_rule_delete, name="agency_rule_delete"),
    # 學習機關(構)專區: uploads and their jobs, the export
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
    # 人事人員: the agency report, reminders; announcements
    path("manage/", views_hr.report, name="hr"),
    path("manage/download.<str:fmt>", views_hr.download, name="hr_download"),
    path("manage/reminders", views_hr.reminders_view, name="hr_reminders"),
    path("manage/at-risk/", views_gaps.at_risk_view, name="hr_at_risk"),
    path("manage/at-risk.<str:fmt>", views_gaps.at_risk_download, name="hr_at_risk_download"),
    path("manage/deadlines/", views_gaps.deadlines_view, name="hr_deadlines"),
    path("manage/deadlines/<int:cutoff_id>/delete", views_gaps.cutoff_delete, name="hr_cutoff_delete"),
    path("announcements/", views_hr.announcement_list, name="announcements"),
]
