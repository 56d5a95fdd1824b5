from django.contrib import admin

from .audit import audit_record
from .models import AuditEvent, ErasureRecord, StoredFile


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin pages of personal data write audit rows: opening a record is a read, saving a change."""

    audit_fields: tuple[str, ...] = ()

    def _label(self) -> str:
        return self.model._meta.label_lower

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and object_id:
            audit_record(action=AuditEvent.Action.READ, object_type=self._label(), object_id=object_id,
                         fields=self.audit_fields, purpose="管理サイト")  # fmt: skip
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(action=AuditEvent.Action.CHANGE if change else AuditEvent.Action.CREATE,
                     object_type=self._label(), object_id=obj.pk, fields=form.changed_data, purpose="管理サイト")  # fmt: skip

    def delete_model(self, request, obj):
        object_id = obj.pk
        super().delete_model(request, obj)
        audit_record(action=AuditEvent.Action.DELETE, object_type=self._label(), object_id=object_id,
                     purpose="管理サイト")  # fmt: skip


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "occurred_at",
        "actor_kind",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "result",
    )
    list_filter = ("action", "result", "actor_kind")
    search_fields = ("object_type", "object_id", "purpose")


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ("erased_at", "kind", "object_type", "object_id", "method", "retention")
    list_filter = ("kind", "method")


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ("id", "content_type", "size", "status", "department", "created_at", "retain_until")
    list_filter = ("status", "content_type")
    exclude = ("storage_name",)
