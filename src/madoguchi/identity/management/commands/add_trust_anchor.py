from pathlib import Path

from django.core.management.base import BaseCommand

from madoguchi.identity.services import trust_anchor_add


class Command(BaseCommand):
    help = "Trust a CA certificate (PEM) for citizens' signatures, e.g. the JPKI signing CA."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--name", required=True)

    def handle(self, *args, path, name, **options):
        anchor = trust_anchor_add(certificate_pem=path.read_text(), name=name)
        self.stdout.write(f"trusted: {anchor.subject}")
