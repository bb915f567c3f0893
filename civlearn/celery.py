"""Celery app. With no CELERY_BROKER_URL, tasks run in-process (eager): see settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")

app = Celery("civlearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
