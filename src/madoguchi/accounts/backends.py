from django.contrib.auth.backends import ModelBackend

from madoguchi.core.sessions import NOT_READ, prefetched


def active_user(backend: ModelBackend, user_id):
    """``ModelBackend.get_user``, taking the account read with the request's session when it was
    (``madoguchi.core.sessions``): the same account, the same check that it may log in."""
    user = prefetched(user_id)
    if user is NOT_READ:
        return ModelBackend.get_user(backend, user_id)
    return user if backend.user_can_authenticate(user) else None


class EmailBackend(ModelBackend):
    """Log in with the e-mail address, whatever its letter case."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        return active_user(self, user_id)
