from django.utils.translation import get_language


def current_language() -> str:
    """'en' or 'ja': the language our two-language texts ({ja, en}) are shown in."""
    return "en" if (get_language() or "ja").startswith("en") else "ja"
