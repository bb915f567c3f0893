from django.contrib import admin

from civlearn.core import national_id
from civlearn.core.text import search_fold
from civlearn.registry.models import Agency, Person


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    ordering = ["code"]

    def get_search_results(self, request, queryset, search_term):
        """Every word found in the stored folded name and code (core.text.search_fold), so the list and every
        agency picker (教材提供機關, rule agencies, institution clients) find 國立臺中科技大學 by 台中 as by 臺中."""
        words = [search_fold(word) for word in search_term.split()]
        for word in words:
            if word:
                queryset = queryset.filter(search_text__contains=word)
        return queryset, False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["masked_national_id", "name", "agency", "personnel_category", "identity_type", "is_active"]
    list_select_related = ["agency"]
    list_filter = ["is_active", "identity_type", "is_supervisor", "rank_class"]
    # Name and agency search as usual; a full, valid national ID finds its one person (see get_search_results).
    search_fields = ["name", "agency__code", "agency__name"]
    search_help_text = "可依姓名、機關代碼或機關名稱搜尋；輸入完整身分證字號可精確查詢。"
    autocomplete_fields = ["agency"]
    readonly_fields = ["updated_at"]

    @admin.display(description="身分證字號", ordering="national_id")
    def masked_national_id(self, obj: Person) -> str:
        return obj.masked_id

    def get_search_results(self, request, queryset, search_term):
        term = national_id.normalize(search_term)
        if national_id.is_valid(term):
            # An exact match only: a partial ID search would let a list page guess numbers digit by digit.
            return queryset.filter(national_id=term), False
        return super().get_search_results(request, queryset, search_term)
