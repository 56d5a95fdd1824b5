from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.identity.services import crl_load


class Command(BaseCommand):
    help = "Load a CRL (DER) published by a trusted CA, e.g. JPKI's signing-certificate CRL. Run it daily."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        try:
            record = crl_load(crl_der=path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"CRL of {record.issuer} loaded (next update {record.next_update})")
