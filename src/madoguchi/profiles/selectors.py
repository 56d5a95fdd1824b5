"""Reads of the citizen's profile."""

from __future__ import annotations

from .models import Profile, ProfileUse


def profile_of(*, user) -> Profile | None:
    if user is None or not user.is_authenticated or not user.is_citizen:
        return None
    return Profile.objects.filter(user=user).first()


def profile_uses(*, profile: Profile, limit: int = 50) -> list[ProfileUse]:
    return list(profile.uses.select_related("procedure")[:limit])
