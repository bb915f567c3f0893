"""Admin for operators: course packages. Imported from admin.py. (The outbound hours destinations and batches are
the hours app's: civlearn/hours/admin/outbound.py.)"""

from django.contrib import admin

from civlearn.learning.models import CoursePackage


@admin.register(CoursePackage)
class CoursePackageAdmin(admin.ModelAdmin):
    list_display = ("title", "agency", "identity_type", "category_codes", "category_hours")
    filter_horizontal = ("courses",)
