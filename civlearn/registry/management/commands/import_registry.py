"""manage.py import_registry persons|agencies FILE [--dry-run] [--as USERNAME] [--language en]"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from civlearn.registry.importing import KINDS
from civlearn.registry.services import registry_import


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
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="訊息與錯誤報告的語言（預設 %(default)s）",
        )

    def handle(self, *args, kind, file, dry_run, as_user, language, **options):
        with translation.override(language):
            self._import(kind=kind, file=file, dry_run=dry_run, as_user=as_user)

    def _import(self, *, kind, file, dry_run, as_user):
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
                result = registry_import(kind=kind, file=handle, filename=path.name, actor=actor, dry_run=dry_run)
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from exc
        if result.ignored_columns:
            self.stdout.write(_("未使用的欄位：{columns}").format(columns=_("、").join(result.ignored_columns)))
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(_("{count} 項錯誤，未寫入任何資料").format(count=len(result.errors)))
        summary = _("共 {rows} 列：新增 {created}、更新 {updated}、未變更 {unchanged}").format(
            rows=result.rows, created=result.created, updated=result.updated, unchanged=result.unchanged
        )
        if dry_run:
            self.stdout.write(_("檢查完成（未寫入）。{summary}").format(summary=summary))
        else:
            self.stdout.write(self.style.SUCCESS(_("匯入完成。{summary}").format(summary=summary)))
