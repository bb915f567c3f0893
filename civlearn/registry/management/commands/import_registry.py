"""manage.py import_registry persons|agencies FILE [--dry-run] [--as USERNAME] [--queue]

The import goes through the job machinery like an upload on 人事資料匯入 (registry/jobs.py): the command stores the
file as a job row, so command-line imports appear in the job list with their status and result, and then runs the
job here and prints its outcome (exit status 1 on errors). `--queue` only queues the job for the workers."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from civlearn.registry import jobs
from civlearn.registry.importing import KINDS
from civlearn.registry.models import RegistryImportJob
from civlearn.registry.services import RowError


class Command(BaseCommand):
    help = (
        "匯入人事資料（人員或機關）：CSV（UTF-8 或 Big5）或 .xlsx；全部成功才寫入。欄位說明見 docs/registry-import.md"
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS), help="persons（人員）或 agencies（機關）")
        parser.add_argument("file", help="CSV 或 .xlsx 檔案路徑")
        parser.add_argument("--dry-run", action="store_true", help="只檢查並計數，不寫入")
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="以此帳號的權限匯入（預設：伺服器端管理者，不限機關）",
        )
        parser.add_argument(
            "--queue", action="store_true", help="只建立匯入作業並排入佇列（由背景程序執行），不等待結果"
        )

    def handle(self, *args, kind, file, dry_run, as_user, queue, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到檔案：{file}")
        actor = None
        if as_user:
            actor = get_user_model().objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"找不到帳號：{as_user}")
        with path.open("rb") as handle:
            try:
                job = jobs.registry_import_job_create(
                    actor=actor, kind=kind, upload=File(handle, name=path.name), dry_run=dry_run, enqueue=queue
                )
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
        if queue:
            self.stdout.write(f"已建立匯入作業 #{job.pk}，已排入佇列")
            return
        jobs.registry_import_job_run(job.pk)
        job.refresh_from_db()
        self._report(job)

    def _report(self, job: RegistryImportJob) -> None:
        if job.status == RegistryImportJob.FAILED:
            raise CommandError(f"匯入作業 #{job.pk}：{job.message}")
        if job.status not in (RegistryImportJob.DONE, RegistryImportJob.REVIEW):
            # Another process claimed the job first (it was never queued, so only a second run of the same job).
            raise CommandError(f"匯入作業 #{job.pk} 未完成（{job.get_status_display()}）")
        result = job.result
        if result["ignored_columns"]:
            self.stdout.write(f"未使用的欄位：{'、'.join(result['ignored_columns'])}")
        if job.status == RegistryImportJob.REVIEW:
            for error in result["errors"]:
                self.stderr.write(str(RowError(**error)))
            if result["error_count"] > len(result["errors"]):
                self.stderr.write(f"（另有 {result['error_count'] - len(result['errors'])} 項錯誤未列出）")
            raise CommandError(f"{result['error_count']} 項錯誤，未寫入任何資料")
        summary = (
            f"共 {result['rows']} 列：新增 {result['created']}、更新 {result['updated']}、未變更 {result['unchanged']}"
        )
        if job.dry_run:
            self.stdout.write(f"檢查完成（未寫入）。{summary}")
        else:
            self.stdout.write(self.style.SUCCESS(f"匯入完成。{summary}"))
