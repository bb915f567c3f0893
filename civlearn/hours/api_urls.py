"""/api/v1/hours/…: the learning institutions' API."""

from django.urls import path

from civlearn.hours import api

urlpatterns = [
    path("hours/records", api.RecordsView.as_view(), name="api-hours-records"),
]
