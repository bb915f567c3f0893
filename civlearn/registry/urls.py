from django.urls import path
from django.views.generic import RedirectView

from civlearn.registry import views

app_name = "registry"

urlpatterns = [
    # The registry face has one page for people; its root leads there.
    path("", RedirectView.as_view(pattern_name="registry:import"), name="index"),
    path("import", views.import_page, name="import"),
    path("import/jobs/<int:job_id>", views.import_job, name="import_job"),
    path("import/jobs/<int:job_id>/status", views.import_job_status, name="import_job_status"),
    path("import/template/<str:kind>.<str:extension>", views.import_template, name="import_template"),
]
