"""Forms of the staff pages (field-by-field messages; the services check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LICENCES, Dataset
from .standards import standard_choices


class MetadataForm(forms.Form):
    title = forms.CharField(label=_("タイトル"), max_length=200)
    notes = forms.CharField(
        label=_("説明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("どんなデータか、項目の定義、出典、留意事項を書いてください。"),
    )
    tags = forms.CharField(
        label=_("タグ"),
        required=False,
        max_length=500,
        help_text=_("読点（、）かカンマで区切ります（例: 防災、避難所）。"),
    )
    theme = forms.ChoiceField(label=_("分野"), choices=Dataset.Theme.choices)
    license_id = forms.ChoiceField(
        label=_("利用条件"),
        choices=[(k, v.title) for k, v in LICENCES.items()],
        help_text=_("原則は公共データ利用規約 第1.0版（CC BY 4.0 と互換）です。"),
    )
    frequency = forms.ChoiceField(
        label=_("更新頻度"),
        choices=Dataset.Frequency.choices,
        help_text=_("次回の更新予定日はこの頻度で決まります。"),
    )
    spatial = forms.CharField(label=_("対象地域"), required=False, max_length=200)
    temporal_start = forms.DateField(
        label=_("対象期間（開始）"), required=False, help_text=_("例: 2024-04-01")
    )
    temporal_end = forms.DateField(label=_("対象期間（終了）"), required=False)
    contact_name = forms.CharField(
        label=_("問い合わせ先"), required=False, max_length=200, help_text=_("課の名前（個人名ではなく）")
    )
    contact_email = forms.EmailField(
        label=_("問い合わせ先メールアドレス"), required=False, help_text=_("課の代表アドレス")
    )
    conforms_to = forms.ChoiceField(label=_("準拠する標準データセット"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("temporal_start"), data.get("temporal_end")
        if start and end and start > end:
            self.add_error("temporal_end", _("対象期間の終わりは始まりより後の日付にしてください。"))
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conforms_to"].choices = [("", _("なし（独自のデータ）")), *standard_choices()]


class CreateForm(MetadataForm):
    name = forms.RegexField(
        label=_("データセットID"),
        regex=r"^[a-z0-9][a-z0-9_-]{1,99}$",
        max_length=100,
        help_text=_("URL に使う半角英小文字・数字・ハイフン（例: aed-locations）。あとから変えられません。"),
        error_messages={
            "invalid": _("半角英小文字・数字・ハイフン・アンダースコアで2文字以上にしてください。")
        },
    )
    department = forms.ModelChoiceField(label=_("担当課"), queryset=None, empty_label=None)
    field_order = ["department", "name", "title"]

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("ファイル"),
        help_text=_(
            "CSV（UTF-8 か Shift_JIS）、Excel（.xlsx）など。Excel はシートごとに別のリソースになります。"
        ),
    )
    resource = forms.ChoiceField(label=_("どのリソースの新しい版か"), required=False)
    name = forms.CharField(
        label=_("リソースの名前"),
        max_length=200,
        required=False,
        help_text=_("新しいリソースのとき必須です（例: AED設置箇所一覧 2024年度）。"),
    )
    description = forms.CharField(
        label=_("リソースの説明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, resources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = [
            ("", _("新しいリソース")),
            *[(str(r.pk), r.name) for r in resources],
        ]

    def clean(self):
        data = super().clean()
        if not data.get("resource") and not (data.get("name") or "").strip():
            self.add_error("name", _("新しいリソースの名前を入力してください。"))
        return data


class LinkForm(forms.Form):
    name = forms.CharField(label=_("リンクの名前"), max_length=200)
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    format = forms.CharField(label=_("形式"), max_length=20, required=False, help_text=_("例: HTML、API"))
    description = forms.CharField(label=_("説明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("差し戻すときは理由を書いてください。"),
    )


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=_("変更内容の説明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
