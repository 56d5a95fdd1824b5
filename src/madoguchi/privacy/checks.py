from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def encryption_keys_configured(app_configs, **kwargs):
    """Production must have its field-encryption keys (they are never generated there)."""
    from django.core.exceptions import ImproperlyConfigured

    from .crypto import load_keyring

    try:
        load_keyring()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="madoguchi.E001")]
    if settings.IS_PRODUCTION and settings.MADOGUCHI_CREATE_KEY_FILE:
        return [Error("Key files must not be created automatically in production.", id="madoguchi.E002")]
    return []
