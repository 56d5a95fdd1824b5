from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def single_sign_on_configuration(app_configs, **kwargs):
    """Staff single sign-on is either off (nothing set) or fully and safely configured."""
    from .sso import REQUIRED_SETTINGS, SIGN_ALGORITHMS, missing_settings

    missing = missing_settings()
    if len(missing) == len(REQUIRED_SETTINGS):
        return []  # off
    errors = []
    if missing:
        errors.append(
            Error(
                "Staff single sign-on is half-configured; it stays off until these are set too: "
                + ", ".join(missing),
                id="madoguchi.E003",
            )
        )
    if settings.OIDC_RP_SIGN_ALGO not in SIGN_ALGORITHMS:
        errors.append(
            Error(
                f"MADOGUCHI_OIDC_SIGN_ALGO must be one of {', '.join(sorted(SIGN_ALGORITHMS))}.",
                id="madoguchi.E003",
            )
        )
    if settings.IS_PRODUCTION:
        plain = [
            env
            for name, env in REQUIRED_SETTINGS.items()
            if name.endswith("_ENDPOINT") and str(getattr(settings, name, "")).startswith("http:")
        ]
        if plain:
            errors.append(
                Error(
                    "Single sign-on endpoints must use HTTPS in production: " + ", ".join(plain),
                    id="madoguchi.E004",
                )
            )
    return errors
