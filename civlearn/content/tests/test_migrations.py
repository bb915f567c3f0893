"""The portal's 重要訊息 move into the one announcements model without losing a row (content 0002, hours 0011)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("content", "0001_initial"), ("hours", "0010_import_job_running_index")]
AFTER = [("content", "0002_announcements_from_hours"), ("hours", "0011_announcements_moved_to_content")]


@pytest.mark.django_db(transaction=True)
def test_hours_announcements_are_copied_with_every_field(operator):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Old = old_apps.get_model("hours", "Announcement")
    Old.objects.create(title="113年1月1日起課程類別代碼表", published_on=dt.date(2023, 12, 28), body="內容",
                       link="https://example.tw/a", pinned=True, created_by_id=operator.pk)  # fmt: skip
    Old.objects.create(title="已下架", published_on=dt.date(2020, 1, 1), show_until=dt.date(2020, 2, 1),
                       is_published=False)  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new_apps = executor.loader.project_state(AFTER).apps
    New = new_apps.get_model("content", "Announcement")

    rows = list(
        New.objects.order_by("id").values_list(
            "title", "published_on", "show_until", "body", "link", "is_published", "pinned", "created_by_id",
            "on_ecpa", "on_elearn", "on_lifelong", "audience",
        )
    )  # fmt: skip
    assert rows == [
        ("113年1月1日起課程類別代碼表", dt.date(2023, 12, 28), None, "內容", "https://example.tw/a", True, True,
         operator.pk, True, True, True, "all"),
        ("已下架", dt.date(2020, 1, 1), dt.date(2020, 2, 1), "", "", False, False, None, True, True, True, "all"),
    ]  # fmt: skip
    assert "hours_announcement" not in connection.introspection.table_names()

    # Back to the latest state for the tests after this one.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
