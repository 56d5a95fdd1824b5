from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Disaster


class DeclareForm(forms.Form):
    name = forms.CharField(label=_("災害の名前"), max_length=100, help_text=_("例：令和8年石巻市東部地震"),
                           error_messages={"required": _("災害の名前を入力してください。"),
                                           "max_length": _("災害の名前は100文字以内で入力してください。")})  # fmt: skip
    kind = forms.ChoiceField(label=_("災害の種類"), choices=[("", _("選んでください")), *Disaster.Kind.choices],
                             error_messages={"required": _("災害の種類を選んでください。"),
                                             "invalid_choice": _("災害の種類を選んでください。")})  # fmt: skip
    occurred_on = forms.DateField(label=_("発生日"), help_text=_("例：2026-04-01"),
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  error_messages={"required": _("発生日を入力してください。"),
                                                  "invalid": _("発生日を 2026-04-01 のように入力してください。")})  # fmt: skip
    area = forms.CharField(label=_("被害のあった地域（町字）"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("町字の名前を「、」か改行で区切って入力します（例：門脇町二丁目、渡波）。空欄なら市内全域です。"))  # fmt: skip


class TokenForm(forms.Form):
    token_name = forms.CharField(label=_("トークンの名前"), max_length=100, help_text=_("例：防災情報システム"),
                                 error_messages={"required": _("名前を入力してください。"),
                                                 "max_length": _("名前は100文字以内で入力してください。")})  # fmt: skip
