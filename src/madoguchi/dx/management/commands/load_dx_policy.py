from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from madoguchi.dx.policy import PolicyError
from madoguchi.dx.services import policy_load_from_file, register_sync_all


class Command(BaseCommand):
    help = "Load the city's DX policy (data/dx/<code>-policy.yaml); idempotent. --demo adds demo register rows and KPI values."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="another policy file")
        parser.add_argument(
            "--reset", action="store_true", help="overwrite staff edits with the file's values"
        )
        parser.add_argument(
            "--demo", action="store_true", help="also load the demo register and 12 months of demo KPIs"
        )

    def handle(self, *args, file=None, reset=False, demo=False, **options):
        from pathlib import Path

        try:
            counts = policy_load_from_file(path=Path(file) if file else None, reset=reset)
        except PolicyError as exc:
            raise CommandError("\n".join(exc.errors)) from exc
        synced = register_sync_all()
        message = (f"DX policy: {counts['initiatives']} initiative(s), {counts['kpis']} KPI(s), "
                   f"{counts['areas']} area(s) written; {synced} Madoguchi procedure(s) in the register")  # fmt: skip
        if demo:
            from madoguchi.dx.demo import load_demo_kpis, load_demo_register

            message += f"; demo: {load_demo_register()} register row(s), {load_demo_kpis()} KPI value(s)"
        self.stdout.write(message)
