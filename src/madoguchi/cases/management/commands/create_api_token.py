from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.accounts.models import User
from madoguchi.cases.models import ApiToken
from madoguchi.cases.tokens import api_token_create
from madoguchi.organisations.models import Department
from madoguchi.organisations.selectors import municipality_get_current


class Command(BaseCommand):
    help = (
        "Create an API token for a core system or RPA, e.g. create_api_token --department kaigo-hoken "
        "--name '介護保険システム連携' --scope read --by kacho@city.example. --by names the 課管理者 of the "
        "department (or a システム管理者) who answers for it. The token is printed once and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, metavar="CODE")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", required=True, choices=ApiToken.Scope.values)
        parser.add_argument("--by", required=True, metavar="EMAIL")

    def handle(self, *args, department, name, scope, by, **options):
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
            token, plaintext = api_token_create(by=user, department=dept, name=name, scope=scope)
        except PermissionDenied as exc:
            raise CommandError(
                f"That account is neither a 課管理者 of {department} nor a システム管理者."
            ) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"API token #{token.pk} ({token.scope}) for {dept.code}. It is shown once; store it now."
        )
        self.stdout.write(plaintext)
