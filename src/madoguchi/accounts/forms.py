from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import StaffRole, User


class LoginForm(forms.Form):
    username = forms.EmailField(
        label=_("メールアドレス"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("メールアドレスかパスワードが違います。もう一度入力してください。"),
    }

    def __init__(self, request, *args, kind: str, **kwargs):
        self.request = request
        self.kind = kind
        self.user_cache: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            user = authenticate(self.request, username=username, password=password)
            # A staff account cannot log in on the citizens' page, nor the reverse:
            # answered like a wrong password, so the page reveals nothing.
            if user is None or user.kind != self.kind:
                raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.user_cache = user
        return self.cleaned_data


class TokenForm(forms.Form):
    otp_token = forms.RegexField(
        label=_("確認コード（6桁）"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("確認コードは半角数字6桁で入力してください。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "maxlength": 8,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        return self.cleaned_data["otp_token"].strip()


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )
    display_name = forms.CharField(
        label=_("お名前（呼び名）"),
        required=False,
        max_length=100,
        help_text=_("メールの宛名に使います。省略できます。"),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    password1 = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("パスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("確認のため、同じパスワードをもう一度入力してください。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = " ".join(str(t) for t in password_validators_help_texts())

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        elif p1:
            candidate = User(email=data.get("email") or "", display_name=data.get("display_name") or "")
            try:
                validate_password(p1, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("現在のパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("パスワードが違います。"), code="wrong_password")
        return password


def _role_choices(by: User):
    choices = list(StaffRole.Role.choices)
    if not by.has_global_role(StaffRole.Role.SYSADMIN):
        choices = [(v, label) for v, label in choices if v not in StaffRole.GLOBAL_ROLES]
    return choices


class StaffRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("役割"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("役割を一つ以上選んでください。")},
    )

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _role_choices(by)


class StaffMemberForm(StaffRolesForm):
    email = forms.EmailField(
        label=_("職員のメールアドレス"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    display_name = forms.CharField(label=_("氏名"), max_length=100)

    field_order = ["email", "display_name", "roles"]
