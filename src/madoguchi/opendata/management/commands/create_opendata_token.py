from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.accounts.models import User
from madoguchi.opendata.api_tokens import opendata_token_create
from madoguchi.organisations.models import Department
from madoguchi.organisations.selectors import municipality_get_current


class Command(BaseCommand):
    help = (
        "Create a write token for the open-data CKAN API, e.g. create_opendata_token --department kaigo-hoken "
        "--name '施設管理システム連携' --by kacho@city.example. --by names the 課管理者 of the department (or a "
        "システム管理者) on whose behalf the token writes. The token is printed once and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, metavar="CODE")
        parser.add_argument("--name", required=True)
        parser.add_argument("--by", required=True, metavar="EMAIL")

    def handle(self, *args, department, name, by, **options):
        municipality = municipality_get_current()
        if municipality is None:
            raise CommandError("Load the municipality first (manage.py load_municipality).")
        dept = Department.objects.filter(municipality=municipality, code=department).first()
        if dept is None:
            raise CommandError(f"No department with code {department!r}")
        user = User.objects.filter(email__iexact=by.strip(), kind=User.Kind.STAFF, is_active=True).first()
        if user is None:
            raise CommandError("No active staff account with that e-mail address.")
        try:
            token, plaintext = opendata_token_create(by=user, department=dept, name=name)
        except PermissionDenied as exc:
            raise CommandError(
                f"That account is neither a 課管理者 of {department} nor a システム管理者."
            ) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(f"Open data API token #{token.pk} for {dept.code}. It is shown once; store it now.")
        self.stdout.write(plaintext)
