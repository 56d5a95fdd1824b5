from django import forms
from django.utils.translation import gettext_lazy as _

from .rendering import BODY_MAX, SUBJECT_MAX


class MessageTemplateForm(forms.Form):
    subject = forms.CharField(label=_("件名"), max_length=SUBJECT_MAX)
    body = forms.CharField(label=_("本文"), max_length=BODY_MAX, strip=False,
                           widget=forms.Textarea(attrs={"rows": 18, "cols": 80}))  # fmt: skip
