"""Password rules beyond Django's own validators.

Django gives the minimum length (8), the common-password list, all-digit
passwords and similarity to the user's own data. We add the words that are
common *here*: the city's name in every script, the service's name, the
city code and postal prefix (from the municipality data file), and a generous
upper limit that only stops abuse.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_LENGTH = 1024


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class CityWordsValidator:
    def _words(self) -> list[str]:
        from madoguchi.organisations.selectors import municipality_get_current

        municipality = municipality_get_current()
        words = {"madoguchi", "窓口", "まどぐち"}
        if municipality is not None:
            words.update(str(w) for w in municipality.password_words)
            words.update([municipality.name, municipality.code])
        return sorted(_fold(w) for w in words if w)

    def validate(self, password: str, user=None) -> None:
        folded = _fold(password)
        for word in self._words():
            if word in folded:
                raise ValidationError(
                    _(
                        "パスワードに市の名前やサービス名など、推測されやすい語（%(word)s）を含めないでください。"
                    )
                    % {"word": word},
                    code="password_city_word",
                )

    def get_help_text(self) -> str:
        return _("市の名前やサービス名など、推測されやすい語は使えません。")


class MaximumLengthValidator:
    def validate(self, password: str, user=None) -> None:
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("パスワードは%(max)d文字以内にしてください。") % {"max": MAX_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("長いパスワード（文章のようなもの）も使えます。")
