from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from madoguchi.accounts.models import User
from madoguchi.opendata.stats import statistics_publish


def _month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in value.split("-"))
    except ValueError:
        raise CommandError(f"Give months as YYYY-MM, not {value!r}") from None
    if not 1 <= month <= 12:
        raise CommandError(f"No month {value!r}")
    return year, month


class Command(BaseCommand):
    help = (
        "Compute the monthly statistics of applications (per procedure and channel, suppressed; median "
        "processing days) from the case data and submit them as an update of the open dataset "
        "'オンライン申請の受付件数（月別）' of the ICT department, for its 決裁者 to approve. Without --month: every "
        "month since the last one published, up to last month. The periodic job (schedule_periodic) runs "
        "the same on the 1st of each month."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", action="append", metavar="YYYY-MM", help="a month to (re)compute; repeatable"
        )
        parser.add_argument(
            "--by", metavar="EMAIL", help="the member of the ICT department recorded as making it"
        )

    def handle(self, *args, month=None, by=None, **options):
        user = None
        if by:
            user = User.objects.filter(email__iexact=by.strip(), kind=User.Kind.STAFF, is_active=True).first()
            if user is None:
                raise CommandError("No active staff account with that e-mail address.")
        months = [_month(m) for m in month] if month else None
        try:
            result = statistics_publish(months=months, by=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result.dataset.name}: {', '.join(result.months) or '-'}: {result.message}")
