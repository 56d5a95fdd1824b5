from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.accounts.forms import TokenForm

from .models import AuditEvent


class RevealForm(TokenForm):
    reason = forms.CharField(
        label=_("表示する理由"),
        min_length=4,
        max_length=200,
        help_text=_("例：介護保険の資格確認のため、住民基本台帳と照合する。理由は監査ログに残ります。"),
        error_messages={"min_length": _("理由を具体的に書いてください（4文字以上）。")},
    )
    field_order = ["reason", "otp_token"]

    def __init__(self, *args, needs_token: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_token:
            del self.fields["otp_token"]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("すべて")), *AuditEvent.Action.choices]
    )
    object_type = forms.CharField(label=_("対象の種類"), required=False, max_length=100)
    object_id = forms.CharField(label=_("対象のID"), required=False, max_length=64)
    actor_id = forms.IntegerField(label=_("利用者ID"), required=False, min_value=1)
    date_from = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
