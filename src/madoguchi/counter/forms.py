"""Forms of the counter's staff pages, each checked field by field."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CounterSchedule, IdentityDocument, SecondaryDocument
from .slots import WEEKDAYS, parse_time

WEEKDAY_CHOICES = [
    (str(d), label) for d, label in zip(WEEKDAYS, (_("月"), _("火"), _("水"), _("木"), _("金")), strict=True)
]
SLOT_MINUTES = (10, 15, 20, 30, 45, 60, 90, 120)


class TimeText(forms.CharField):
    """A time typed as 8:30, ８：３０ or 8時30分."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        parsed = parse_time(text[:20])
        if parsed is None:
            raise forms.ValidationError(_("時刻は「8:30」のように入力してください。"))
        return parsed


class ScheduleForm(forms.Form):
    weekdays = forms.MultipleChoiceField(
        label=_("曜日"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("予約を受ける曜日を一つ以上選んでください。")},
        help_text=_("土日・祝日・年末年始（12月29日から1月3日）は、選んでも予約を受けません。"),
    )  # fmt: skip
    opens_at = TimeText(label=_("受付開始"), help_text=_("例：8:30"),
                        error_messages={"required": _("受付を始める時刻を入力してください。")})  # fmt: skip
    closes_at = TimeText(label=_("受付終了"), help_text=_("例：12:00。最後の枠はこの時刻に終わります。"),
                         error_messages={"required": _("受付を終える時刻を入力してください。")})  # fmt: skip
    slot_minutes = forms.TypedChoiceField(
        label=_("1枠の長さ"), coerce=int, initial=30,
        choices=[(m, _("%(m)d分") % {"m": m}) for m in SLOT_MINUTES],
        error_messages={"invalid_choice": _("一覧から選んでください。"), "required": _("一覧から選んでください。")},
    )  # fmt: skip
    capacity = forms.IntegerField(
        label=_("1枠の人数"), min_value=1, max_value=50, initial=2, widget=forms.TextInput,
        help_text=_("同じ時間に受け付けられる人数（窓口の数と職員の数で決めます）"),
        error_messages={"required": _("人数を入力してください。"), "invalid": _("人数は数字で入力してください。"),
                        "min_value": _("1人以上にしてください。"), "max_value": _("50人以下にしてください。")},
    )  # fmt: skip

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.department = department
        self.fields["capacity"].widget.attrs.update({"inputmode": "numeric", "class": "input--narrow"})
        for name in ("opens_at", "closes_at"):
            self.fields[name].widget.attrs.update(
                {"class": "input--narrow", "autocomplete": "off", "maxlength": "10"}
            )

    def clean(self):
        data = super().clean()
        opens, closes, minutes = data.get("opens_at"), data.get("closes_at"), data.get("slot_minutes")
        if opens is None or closes is None or not minutes:
            return data
        if closes <= opens:
            self.add_error("closes_at", _("受付終了は受付開始より後の時刻にしてください。"))
            return data
        day = datetime(2000, 1, 3)
        if datetime.combine(day, opens) + timedelta(minutes=minutes) > datetime.combine(day, closes):
            self.add_error("closes_at", _("受付開始から受付終了までに、1枠も入りません。"))
            return data
        weekdays = {int(d) for d in data.get("weekdays", [])}
        for other in CounterSchedule.objects.filter(department=self.department):
            if weekdays & set(other.weekdays) and opens < other.closes_at and other.opens_at < closes:
                self.add_error("opens_at", _("同じ曜日の %(start)s〜%(end)s と重なっています。") % {
                    "start": f"{other.opens_at:%H:%M}", "end": f"{other.closes_at:%H:%M}"})  # fmt: skip
                break
        data["weekdays"] = sorted(weekdays)
        return data


class IdentityForm(forms.Form):
    document = forms.ChoiceField(
        label=_("確認した本人確認書類"),
        choices=[("", _("選んでください")), *IdentityDocument.choices],
        error_messages={"required": _("確認した書類を選んでください。"), "invalid_choice": _("一覧から選んでください。")},
    )  # fmt: skip
    secondary = forms.MultipleChoiceField(
        label=_("顔写真のない書類（2点）"), required=False, choices=SecondaryDocument.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("「顔写真のない書類2点」のときに、確認した2点を選びます。書類の番号は記録しません。"),
        error_messages={"invalid_choice": _("一覧から選んでください。")},
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("document") == IdentityDocument.TWO_DOCUMENTS and len(data.get("secondary") or []) < 2:
            self.add_error("secondary", _("顔写真のない書類は2点を選んでください。"))
        return data


class KioskEnrolForm(forms.Form):
    """Enrol this browser as a shelter kiosk: the department, the place (避難所名) and the procedures."""

    department = forms.ChoiceField(label=_("受け付ける課"),
                                   error_messages={"required": _("受け付ける課を選んでください。"),
                                                   "invalid_choice": _("受け付ける課を選んでください。")})  # fmt: skip
    place = forms.CharField(
        label=_("設置場所（避難所名）"), max_length=100, help_text=_("例：石巻市立○○小学校 体育館"),
        error_messages={"required": _("設置場所（避難所名）を入力してください。"),
                        "max_length": _("設置場所は100文字以内で入力してください。")},
    )  # fmt: skip
    procedures = forms.MultipleChoiceField(
        label=_("受け付ける手続"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("受け付ける手続を一つ以上選んでください。"),
                        "invalid_choice": _("この課の端末では受け付けられない手続が選ばれています。")},
    )  # fmt: skip

    def __init__(self, *args, departments, procedures: dict, language: str, **kwargs):
        from madoguchi.forms.fieldtypes import localised

        super().__init__(*args, **kwargs)
        self.departments = {d.code: d for d in departments}
        self.procedures_of = procedures
        self.fields["department"].choices = [(d.code, d.display_name) for d in departments]
        if len(departments) == 1:
            self.fields["department"].initial = departments[0].code
            self.fields["department"].widget = forms.HiddenInput()
        seen: dict[str, str] = {}
        for listed in procedures.values():
            for p in listed:
                seen.setdefault(p.slug, localised(p.current_version.definition["name"], language))
        self.fields["procedures"].choices = list(seen.items())
        self.fields["procedures"].initial = [s for s in seen if s == "risai_shomei"] or list(seen)[:1]

    def clean_place(self):
        import unicodedata

        place = " ".join(unicodedata.normalize("NFKC", self.cleaned_data["place"]).split())
        if not place:
            raise forms.ValidationError(_("設置場所（避難所名）を入力してください。"))
        return place

    def clean_department(self):
        return self.departments[self.cleaned_data["department"]]

    def clean(self):
        cleaned = super().clean()
        department, chosen = cleaned.get("department"), cleaned.get("procedures")
        if department is not None and chosen:
            allowed = {p.slug for p in self.procedures_of.get(department.code, [])}
            if not set(chosen) <= allowed:
                self.add_error("procedures", _("この課の端末では受け付けられない手続が選ばれています。"))
        return cleaned
