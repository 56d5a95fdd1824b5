import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from madoguchi.accounts.models import User
from madoguchi.accounts.services import staff_account_create
from madoguchi.organisations.models import Department
from madoguchi.profiles.models import Profile
from madoguchi.profiles.services import profile_save, valid_value

DEMO_PASSWORD = "demo-Counter-2026"


class Command(BaseCommand):
    help = "Load the demo city (Ishinomaki) and its demo accounts, then print the log-ins. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the log-ins")

    def handle(self, *args, quiet_logins=False, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("load_demo refuses to run with MADOGUCHI_PROFILE=production.")
        data_dir = settings.BASE_DIR / "data"
        call_command(
            "load_municipality",
            str(data_dir / "municipalities" / "042021-ishinomaki.yaml"),
            stdout=self.stdout,
        )
        people = yaml.safe_load((data_dir / "demo" / "staff.yaml").read_text(encoding="utf-8"))
        with transaction.atomic():
            for entry in people["staff"]:
                roles = []
                for item in entry["roles"]:
                    code, _, role = item.partition(":")
                    roles.append((Department.objects.get(municipality__code="042021", code=code), role))
                user = User.objects.filter(email=entry["email"]).first()
                # An existing demo account keeps its password and second factor.
                staff_account_create(
                    email=entry["email"],
                    display_name=entry["name"],
                    password=None if user else DEMO_PASSWORD,
                    roles=roles,
                )
            for entry in people["citizens"]:
                citizen = User.objects.filter(email=entry["email"]).first()
                if citizen is None:
                    citizen = User.objects.create_user(
                        entry["email"],
                        DEMO_PASSWORD,
                        display_name=entry["name"],
                        kind=User.Kind.CITIZEN,
                        email_verified_at=timezone.now(),
                    )
                if entry.get("profile") and not Profile.objects.filter(user=citizen).exists():
                    values = {key: valid_value(key, value) for key, value in entry["profile"].items()}
                    profile_save(
                        user=citizen, values=values, household=entry.get("household", []), consent=True
                    )
        if not quiet_logins:
            self._print_logins(people)

    def _print_logins(self, people: dict) -> None:
        out = self.stdout
        out.write("")
        out.write("=" * 72)
        out.write("Madoguchi demo: http://127.0.0.1:8000/")
        out.write(f"Password for every demo account: {DEMO_PASSWORD}")
        out.write("Staff log-in: http://127.0.0.1:8000/staff/login/  (enrol a TOTP app at first log-in)")
        for entry in people["staff"]:
            out.write(f"  {entry['email']:<40} {', '.join(entry['roles'])}")
        out.write("Citizen log-in: http://127.0.0.1:8000/account/login/")
        for entry in people["citizens"]:
            out.write(f"  {entry['email']}")
        out.write("E-mails (verification, password reset) are printed by the worker on the console.")
        out.write("=" * 72)
