"""Operators see packages, their SCOs and learners' SCORM records here; uploading and publishing go through the
provider page (/elearn/provide/scorm/), which runs the package checks and writes the audit trail."""

from django.contrib import admin

from civlearn.learning.models import Sco, ScormAttempt, ScormPackage, ScormSequencing


class ScoInline(admin.TabularInline):
    model = Sco
    extra = 0
    can_delete = False
    fields = ["order", "depth", "identifier", "title", "launch", "is_sco", "mastery_score", "scaled_passing_score"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScormPackage)
class ScormPackageAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "unit", "status", "file_count", "uploaded_at", "published_at"]
    list_filter = ["status", "version"]
    search_fields = ["title", "identifier", "unit__course__code", "unit__course__title"]
    readonly_fields = [
        "unit",
        "version",
        "identifier",
        "title",
        "storage_key",
        "original_name",
        "sha256",
        "size_bytes",
        "file_count",
        "status",
        "uploaded_by",
        "uploaded_at",
        "published_at",
    ]
    inlines = [ScoInline]

    def has_add_permission(self, request):
        # A package only comes in through the checks of package_upload.
        return False


@admin.register(ScormAttempt)
class ScormAttemptAdmin(admin.ModelAdmin):
    list_display = ["enrolment", "sco", "completion_status", "success_status", "score_raw", "session_count", "done_at"]
    list_filter = ["completion_status", "success_status"]
    raw_id_fields = ["enrolment", "sco"]
    readonly_fields = [field.name for field in ScormAttempt._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ScormSequencing)
class ScormSequencingAdmin(admin.ModelAdmin):
    """SCORM 2004 course attempts: the sequencing engine's state per enrolment (course_attempt.py)."""

    list_display = ["enrolment", "package", "attempt_number", "root_completion", "root_success", "suspended", "done_at"]
    list_filter = ["suspended", "ended", "root_completion", "root_success"]
    raw_id_fields = ["enrolment", "package"]
    exclude = ["state", "session_key"]
    readonly_fields = [
        field.name for field in ScormSequencing._meta.fields if field.name not in ("state", "session_key")
    ]

    def has_add_permission(self, request):
        return False
