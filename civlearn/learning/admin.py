"""Operators author courses here until the provider UI exists: a course with its units inline, a unit with its
questions inline, a question with its choices inline."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from civlearn.hours import selectors as hours_selectors
from civlearn.learning.categories import category_choices, category_name
from civlearn.learning.models import (
    Certificate,
    Choice,
    Course,
    Enrolment,
    MemberConsent,
    Question,
    Unit,
    Zone,
)

# Video addresses typed without a scheme are taken as https (Django 6's default, chosen now).
URL_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class UnitInline(admin.StackedInline):
    model = Unit
    extra = 0
    formfield_overrides = URL_HTTPS
    fields = ["order", "kind", "title", "body", "video_file", "video_url", "pass_mark", "max_attempts"]
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "category_code", "category", "certified_hours", "mode", "is_published"]
    list_filter = ["is_published", "mode", "zones", "production_year"]
    search_fields = ["code", "title", "keywords"]
    filter_horizontal = ["allowed_agencies", "zones"]
    autocomplete_fields = ["provider_agency"]
    inlines = [UnitInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "category_code":
            # A picker from the code table in force (with a code of an older table kept as it is) instead of a
            # typed code.
            current = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            course = Course.objects.filter(pk=current).first() if current and str(current).isdigit() else None
            choices = category_choices({row["code"] for row in hours_selectors.category_rows()})
            if course and course.category_code and course.category_code not in dict(choices):
                choices.append((course.category_code, f"{course.category_code}（不在現行代碼表）"))
            return forms.ChoiceField(
                label=db_field.verbose_name, choices=[("", "---------"), *choices], help_text=db_field.help_text
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("課程類別"))
    def category(self, course: Course) -> str:
        return category_name(course.category_code)


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "course"]
    list_filter = ["kind"]
    search_fields = ["title", "course__title", "course__code"]
    inlines = [QuestionInline]
    formfield_overrides = URL_HTTPS


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 2


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "unit"]
    inlines = [ChoiceInline]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "year", "reading_ms", "completed_at", "hours_status"]
    list_filter = ["hours_status", "year"]
    raw_id_fields = ["user", "course"]
    readonly_fields = ["reading_ms", "last_beat_ms", "completed_at", "hours_status", "hours_posted_at"]


@admin.register(MemberConsent)
class MemberConsentAdmin(admin.ModelAdmin):
    list_display = ["user", "terms_version", "share_hours", "decided_at"]
    raw_id_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        # The history of decisions is evidence; it is never edited.
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "learner_name", "course_title", "issued_at"]
    search_fields = ["number", "verify_code"]
    readonly_fields = [f.name for f in Certificate._meta.fields]


from civlearn.learning.home import admin as admin_home  # noqa: E402, F401  (個人專區: course packages)
from civlearn.learning.partners import admin as partners_admin  # noqa: E402, F401  (registers 加盟機關)
from civlearn.learning.scorm import admin as scorm_admin  # noqa: E402, F401  (registers the SCORM models)
