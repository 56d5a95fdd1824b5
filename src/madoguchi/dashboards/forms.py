from django import forms
from django.utils.translation import gettext_lazy as _

from .services import COMMENT_MAX

SCORES = [(str(n), str(n)) for n in range(1, 6)]


class SurveyForm(forms.Form):
    easy = forms.TypedChoiceField(
        label=_("簡単でしたか"), choices=SCORES, coerce=int, widget=forms.RadioSelect
    )
    convenient = forms.TypedChoiceField(
        label=_("便利でしたか"), choices=SCORES, coerce=int, widget=forms.RadioSelect
    )
    clear = forms.TypedChoiceField(
        label=_("分かりやすかったですか"), choices=SCORES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("ご意見（任意）"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("お名前や連絡先など、個人が分かることは書かないでください。"),
    )  # fmt: skip
