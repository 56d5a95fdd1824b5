from django.contrib import admin

from madoguchi.privacy.admin import AuditedModelAdmin

from .models import StaffRole, User


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    fk_name = "user"
    extra = 0
    autocomplete_fields = ()
    readonly_fields = ("granted_at", "granted_by")


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    audit_fields = ("email", "display_name", "kind", "is_active")
    list_display = ("id", "kind", "display_name", "is_active", "is_staff", "date_joined")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("email", "display_name")
    exclude = ("password", "user_permissions", "groups", "last_login")
    readonly_fields = ("date_joined", "email_verified_at", "is_superuser")
    inlines = [StaffRoleInline]
