from django.urls import path

from civlearn.hours import views_gaps, views_hr, views_institution, views_learner, views_rules
from civlearn.hours.classes import views as class_views
from civlearn.hours.classes import views_manage as class_manage
from civlearn.hours.institutions import views as institution_views

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
    # 學習機關(構)專區: applications, review, the institution's area
    path("institutions/", institution_views.index, name="institutions"),
    path("institutions/apply/", institution_views.apply, name="institution_apply"),
    path("institutions/apply/<int:institution_id>", institution_views.apply, name="institution_resubmit"),
    path("institutions/review/", institution_views.review_list, name="institution_review_list"),
    path("institutions/review/<int:institution_id>", institution_views.review, name="institution_review"),
    path("institutions/<int:institution_id>/document", institution_views.document, name="institution_document"),
    path("institutions/<int:institution_id>/", institution_views.area, name="institution_area"),
    path(
        "institutions/<int:institution_id>/members/<int:member_id>/remove",
        institution_views.member_remove,
        name="institution_member_remove",
    ),
    path(
        "institutions/<int:institution_id>/members/<int:member_id>/invite-again",
        institution_views.member_invite_again,
        name="institution_member_invite_again",
    ),
    path("institutions/<int:institution_id>/classes/new", class_manage.create, name="class_create"),
    # 學習資訊中心
    path("classes/", class_views.search, name="classes"),
    path("search/", class_views.related_search, name="related_search"),
    path("classes/<int:offering_id>", class_views.detail, name="class_detail"),
    path("classes/<int:offering_id>/register", class_views.register, name="class_register"),
    path("classes/registrations/<int:registration_id>/cancel", class_views.cancel, name="class_cancel"),
    path("classes/checkin/<str:token>", class_views.checkin, name="class_checkin"),
    path("classes/<int:offering_id>/manage", class_manage.manage, name="class_manage"),
    path("classes/<int:offering_id>/roster.<str:fmt>", class_manage.roster_export, name="class_roster"),
    path(
        "classes/<int:offering_id>/sessions/<int:session_id>/roster", class_manage.roster_mark, name="class_roster_mark"
    ),
    path("classes/<int:offering_id>/sessions/<int:session_id>/door", class_manage.door, name="class_door"),
    path("classes/<int:offering_id>/close", class_manage.close, name="class_close"),
    path("classes/<int:offering_id>/email", class_manage.email, name="class_email"),
    path("folder/calendar/", class_views.calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", class_views.calendar_feed, name="calendar_feed"),
    path("manage/classes/", class_views.hr_classes, name="hr_classes"),
    path("manage/classes/<int:registration_id>/decide", class_views.hr_decide, name="hr_class_decide"),
]
