"""Operators' admin for the hours data: code tables (with CSV import), reporting rows, rules, the ledger (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path

from civlearn.hours import categories, rules, services
from civlearn.hours.admin.mapping import MappingAdminMixin
from civlearn.hours.models import Category, CategoryTable, LedgerEntry, ReportingCategory, RequirementRule


class CategoryTableImportForm(forms.Form):
    file = forms.FileField(label="CSV 檔", help_text="欄位 code,parent_code,name；UTF-8 或 Big5；# 開頭之行為說明")
    name = forms.CharField(label="代碼表名稱", max_length=50, help_text="同名代碼表將被取代；已登錄之時數紀錄不受影響")
    effective_from = forms.DateField(label="生效日期", help_text="西元 YYYY-MM-DD")


class ReverseForm(forms.Form):
    reason = forms.CharField(label="沖銷原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ["code", "parent_code", "name", "level"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CategoryTable)
class CategoryTableAdmin(admin.ModelAdmin):
    list_display = ["name", "effective_from", "created_at"]
    readonly_fields = ["name", "effective_from", "source_note", "created_at"]
    inlines = [CategoryInline]
    change_list_template = "admin/hours/categorytable/change_list.html"

    def has_add_permission(self, request):
        # Tables come in through the CSV import (below), which validates the whole tree.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="hours_categorytable_import"), *super().get_urls()]

    def import_view(self, request):
        if not request.user.is_superuser:
            messages.error(request, "只有系統管理者可以匯入代碼表")
            return redirect("admin:hours_categorytable_changelist")
        form = CategoryTableImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data["file"].read()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("big5", errors="strict")
            try:
                table = categories.table_load(
                    text=text,
                    name=form.cleaned_data["name"],
                    effective_from=form.cleaned_data["effective_from"],
                    actor=request.user,
                )
            except (ValidationError, UnicodeDecodeError) as exc:
                reasons = exc.messages if isinstance(exc, ValidationError) else ["檔案編碼應為 UTF-8 或 Big5"]
                for reason in reasons:
                    form.add_error(None, reason)
            else:
                messages.success(request, f"代碼表 {table.name} 已匯入 {table.categories.count()} 個代碼")
                return redirect("admin:hours_categorytable_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "匯入課程類別代碼表",
                   "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/hours/categorytable/import.html", context)


class RulesInvalidateMixin:
    # After the admin's transaction commits: another process that rebuilt the rule book before the commit would
    # otherwise keep the old rows under the new generation stamp until the stamp expires.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(rules.invalidate)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(rules.invalidate)


@admin.register(ReportingCategory)
class ReportingCategoryAdmin(MappingAdminMixin, RulesInvalidateMixin, admin.ModelAdmin):
    list_display = ["order", "label", "key", "measure", "mode"]
    change_list_template = "admin/hours/reportingcategory/change_list.html"
    list_display_links = ["label"]
    ordering = ["order"]


@admin.register(RequirementRule)
class RequirementRuleAdmin(RulesInvalidateMixin, admin.ModelAdmin):
    list_display = ["label", "key", "agency", "year_from", "year_to", "minimum_hours", "scope", "mode", "parent"]
    list_filter = ["year_from", "scope"]
    autocomplete_fields = ["agency", "parent"]
    search_fields = ["label", "key", "agency__code", "agency__name"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: the ledger changes only through the services (record, reverse), which audit every change."""

    list_display = ["course_name", "year", "category_code", "certified_hours", "source_kind", "institution_code"]
    list_filter = ["year", "source_kind", "mode"]
    search_fields = ["course_name", "source_reference", "institution_code"]
    raw_id_fields = ["person", "reverses", "created_by"]
    actions = ["reverse_selected"]

    @admin.action(description="沖銷所選紀錄（需填原因）")
    def reverse_selected(self, request, queryset):
        """Reverse every selected entry with one reason, all or nothing."""
        entries = list(queryset.select_related("person__agency").order_by("pk"))
        form = ReverseForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for entry in entries:
                        services.ledger_entry_reverse(
                            entry=entry, reason=form.cleaned_data["reason"], actor=request.user
                        )
            except (ValidationError, PermissionDenied) as exc:
                reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
                messages.error(request, f"沒有沖銷任何紀錄：紀錄 {entry.pk}：{'；'.join(reasons)}")
            else:
                messages.success(request, f"已沖銷 {len(entries)} 筆紀錄")
            return None
        context = {**self.admin_site.each_context(request), "form": form, "entries": entries,
                   "title": "沖銷學習時數紀錄", "opts": self.model._meta,
                   "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}  # fmt: skip
        return render(request, "admin/hours/ledgerentry/reverse.html", context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
