from django.core.management.base import BaseCommand, CommandError

from madoguchi.privacy.audit import audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; name every row changed, inserted or deleted. Exit 1 if any."

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"audit trail damaged: {len(result.problems)} problem(s) in {result.checked} rows"
            )
        self.stdout.write(f"audit trail intact: {result.checked} rows")
