"""Procedures defined in Madoguchi appear in the register (手続台帳) by themselves.

Whenever a ``procedures.Procedure`` is saved (``load_procedures``, an upload, a publish), its
register row is created or brought up to date: number ``madoguchi:<slug>``, its name and
department, online status "Madoguchi". The other columns (legal basis, volume, 押印・書面・対面,
review) stay as the department or the DX推進担当 entered them.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from madoguchi.procedures.models import Procedure


@receiver(post_save, sender=Procedure, dispatch_uid="dx-register-sync")
def _procedure_saved(sender, instance: Procedure, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    from .services import register_sync_procedure

    register_sync_procedure(procedure=instance)
