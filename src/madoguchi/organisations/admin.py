from django.contrib import admin

from .models import Department, Municipality


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefecture")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "municipality", "is_active", "sort_order")
    list_filter = ("is_active",)
