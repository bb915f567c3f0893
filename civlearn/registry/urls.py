from django.urls import path

from civlearn.registry import views

app_name = "registry"

urlpatterns = [
    path("import", views.import_page, name="import"),
    path("import/template/<str:kind>.<str:extension>", views.import_template, name="import_template"),
]
