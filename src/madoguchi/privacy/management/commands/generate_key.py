from django.core.management.base import BaseCommand

from madoguchi.privacy.crypto import generate_key_pair_text


class Command(BaseCommand):
    help = "Print a new id:base64 key for MADOGUCHI_FIELD_KEYS or MADOGUCHI_INDEX_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--id", help="key id (default: random)")

    def handle(self, *args, id=None, **options):
        self.stdout.write(generate_key_pair_text(id))
