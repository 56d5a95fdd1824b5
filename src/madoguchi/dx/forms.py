from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from madoguchi.organisations.models import Department

from .models import Kpi, PdcaNote, RegisterEntry, StandardArea


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PdcaNoteForm(forms.ModelForm):
    class Meta:
        model = PdcaNote
        fields = ["phase", "period", "text"]
        labels = {"phase": _("段階"), "period": _("期間（例：令和8年度上期）"), "text": _("内容")}


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ["name", "definition", "unit", "baseline", "baseline_date", "target", "target_date"]
        widgets = {
            "baseline_date": DateInput(),
            "target_date": DateInput(),
            "definition": forms.Textarea(attrs={"rows": 3}),
        }


class KpiEntryForm(forms.Form):
    period = forms.DateField(label=_("期間（月の初日、または測定日）"), widget=DateInput())
    value = forms.DecimalField(label=_("値"), max_digits=14, decimal_places=2)
    miyagi_average = forms.DecimalField(
        label=_("宮城県平均"), max_digits=14, decimal_places=2, required=False
    )
    national_average = forms.DecimalField(
        label=_("全国平均"), max_digits=14, decimal_places=2, required=False
    )
    note = forms.CharField(
        label=_("備考"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, kpi: Kpi, **kwargs):
        super().__init__(*args, **kwargs)
        if not kpi.compare:
            del self.fields["miyagi_average"]
            del self.fields["national_average"]


class RegisterEntryForm(forms.ModelForm):
    class Meta:
        model = RegisterEntry
        fields = ["number", "name", "department", "legal_basis", "yearly_volume", "seal_required", "paper_required",
                  "in_person_required", "review", "review_reason", "online_status", "planned_date"]  # fmt: skip
        widgets = {"planned_date": DateInput(), "review_reason": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "seal_required": _("押印が必要"),
            "paper_required": _("書面が必要"),
            "in_person_required": _("対面（来庁）が必要"),
        }

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].label_from_instance = lambda d: d.name
        linked = self.instance.pk and self.instance.procedure_id
        if self.instance.pk:
            del self.fields["number"]
        if linked:  # name, department and status come from the procedure definition
            for name in ("name", "department", "online_status"):
                del self.fields[name]
        else:
            self.fields["online_status"].choices = [
                c for c in RegisterEntry.Online.choices if c[0] != RegisterEntry.Online.MADOGUCHI
            ]

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if number.startswith("madoguchi:"):
            raise forms.ValidationError(_("「madoguchi:」で始まる台帳番号はMadoguchiの手続のものです。"))
        return number


class RegisterImportForm(forms.Form):
    file = forms.FileField(label=_("手続台帳のファイル（Excel .xlsx または CSV）"))


class AreaForm(forms.ModelForm):
    class Meta:
        model = StandardArea
        fields = ["status", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}


class MilestoneForm(forms.Form):
    date = forms.DateField(label=_("日付"), widget=DateInput())
    text = forms.CharField(label=_("内容"), max_length=300)


class ActionAddForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("担当課（空欄は全ての課）"), queryset=Department.objects.none(), required=False
    )
    text = forms.CharField(label=_("新しい取組"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].label_from_instance = lambda d: d.name
