from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.accounts.models import StaffRole
from madoguchi.accounts.services import staff_account_create
from madoguchi.organisations.models import Department
from madoguchi.organisations.selectors import municipality_get_current


class Command(BaseCommand):
    help = (
        "Create (or update) a staff account with roles, e.g. the first システム管理者: "
        "create_staff --email a@city.example --name '石巻 太郎' --role ict:sysadmin. "
        "The password is asked for interactively unless --password is given; the second "
        "factor is enrolled at first log-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            metavar="DEPARTMENT:ROLE",
            help=f"roles: {', '.join(StaffRole.Role.values)}",
        )
        parser.add_argument("--password", help="for scripts; omit to be asked")

    def handle(self, *args, email, name, role, password=None, **options):
        municipality = municipality_get_current()
        if municipality is None:
            raise CommandError("Load the municipality first (manage.py load_municipality).")
        roles = []
        for item in role:
            code, _, role_name = item.partition(":")
            department = Department.objects.filter(municipality=municipality, code=code).first()
            if department is None:
                raise CommandError(f"No department with code {code!r}")
            if role_name not in StaffRole.Role.values:
                raise CommandError(
                    f"Unknown role {role_name!r}; use one of {', '.join(StaffRole.Role.values)}"
                )
            roles.append((department, role_name))
        if password is None:
            import getpass

            password = getpass.getpass("Password: ")
        try:
            user = staff_account_create(email=email, display_name=name, password=password, roles=roles)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"staff account #{user.pk} ready with {len(roles)} role(s)")
