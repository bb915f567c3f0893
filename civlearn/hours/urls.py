from django.urls import path

from civlearn.hours import views_learner, views_rules

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
]

# Institution uploads, the HR view and announcements (engineer B's area).
from civlearn.hours.urls_b import urlpatterns as _b_patterns  # noqa: E402

urlpatterns += _b_patterns
