"""manage.py import_registry persons|agencies FILE [--dry-run] [--as USERNAME] [--queue] [--language en]

The import goes through the job machinery like an upload on 人事資料匯入 (registry/jobs.py): the command stores the
file as a job row, so command-line imports appear in the job list with their status and result, and then runs the
job here and prints its outcome (exit status 1 on errors). `--queue` only queues the job for the workers. The job
records `--language`, so its row errors (here, in the job list and from a worker) are written in it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

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
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="訊息與錯誤報告的語言（預設 %(default)s）",
        )

    def handle(self, *args, kind, file, dry_run, as_user, queue, language, **options):
        # The job records the active language (core.jobs.job_language), so it runs and reports in this one.
        with translation.override(language):
            self._import(kind=kind, file=file, dry_run=dry_run, as_user=as_user, queue=queue)

    def _import(self, *, kind, file, dry_run, as_user, queue):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到檔案：{path}").format(path=file))
        actor = None
        if as_user:
            actor = get_user_model().objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(_("找不到帳號：{username}").format(username=as_user))
        with path.open("rb") as handle:
            try:
                job = jobs.registry_import_job_create(
                    actor=actor, kind=kind, upload=File(handle, name=path.name), dry_run=dry_run, enqueue=queue
                )
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
        if queue:
            self.stdout.write(_("已建立匯入作業 #{job}，已排入佇列").format(job=job.pk))
            return
        jobs.registry_import_job_run(job.pk)
        job.refresh_from_db()
        self._report(job)

    def _report(self, job: RegistryImportJob) -> None:
        if job.status == RegistryImportJob.FAILED:
            raise CommandError(_("匯入作業 #{job}：{message}").format(job=job.pk, message=job.message))
        if job.status not in (RegistryImportJob.DONE, RegistryImportJob.REVIEW):
            # Another process claimed the job first (it was never queued, so only a second run of the same job).
            raise CommandError(
                _("匯入作業 #{job} 未完成（{status}）").format(job=job.pk, status=job.get_status_display())
            )
        result = job.result
        if result["ignored_columns"]:
            self.stdout.write(_("未使用的欄位：{columns}").format(columns=_("、").join(result["ignored_columns"])))
        if job.status == RegistryImportJob.REVIEW:
            for error in result["errors"]:
                self.stderr.write(str(RowError(**error)))
            if result["error_count"] > len(result["errors"]):
                self.stderr.write(
                    _("（另有 {count} 項錯誤未列出）").format(count=result["error_count"] - len(result["errors"]))
                )
            raise CommandError(_("{count} 項錯誤，未寫入任何資料").format(count=result["error_count"]))
        summary = _("共 {rows} 列：新增 {created}、更新 {updated}、未變更 {unchanged}").format(
            rows=result["rows"], created=result["created"], updated=result["updated"], unchanged=result["unchanged"]
        )
        if job.dry_run:
            self.stdout.write(_("檢查完成（未寫入）。{summary}").format(summary=summary))
        else:
            self.stdout.write(self.style.SUCCESS(_("匯入完成。{summary}").format(summary=summary)))
