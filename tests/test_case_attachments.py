"""A submission's files for every department holding a case of it: a file is stored for the
procedure's department, and a second department's case (a definition's ``cases:``) reads it through
its case; nobody reads through a case a file its submission does not carry."""

import pytest
from django.urls import reverse

from madoguchi.accounts.models import StaffRole
from madoguchi.privacy.models import AuditEvent
from madoguchi.privacy.services import file_store
from tests.conftest import make_staff
from tests.support.cases import file_case
from tests.support.hostile import png
from tests.test_uploads import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def shisan_staff(city):
    return make_staff("shisan@city.test", "資産税 担当", ("shisanzei", StaffRole.Role.HANDLER))


def _department(code):
    from madoguchi.organisations.models import Department

    return Department.objects.get(code=code)


def test_a_second_departments_case_opens_the_submissions_photo_and_only_that(
    as_user, citizen_erin, kaigo_alice, shisan_staff, kosodate_charlie
):
    photo = file_store(uploaded=Upload(png(), "before.png"), department=_department("kaigo-hoken"),
                       uploaded_by=citizen_erin)  # fmt: skip
    stray = file_store(uploaded=Upload(png(), "other.png"), department=_department("kaigo-hoken"),
                       uploaded_by=citizen_erin)  # fmt: skip
    own = file_case(
        citizen_erin, slug="kaigo_jutaku_kaishu", before_photos=[{"id": str(photo.pk), "name": "before.png"}]
    )
    # The same submission's second case, in 資産税課 (as a definition's second ``cases:`` entry opens it).
    second = own.__class__.objects.get(pk=own.pk)
    second.pk, second.department = None, _department("shisanzei")
    second.save()

    staff = as_user(shisan_staff)
    page = staff.get(reverse("cases:detail", kwargs={"case_id": second.pk})).content.decode()
    url = reverse("cases:attachment", kwargs={"case_id": second.pk, "file_id": photo.pk})
    assert url in page and "privacy/files" not in page.split("添付ファイル")[-1][:400]
    response = staff.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(object_id=str(photo.pk), actor_id=shisan_staff.pk).exists()
    # The file's own rule is unchanged: not through the plain download.
    assert staff.get(reverse("privacy:file_download", kwargs={"file_id": photo.pk})).status_code == 404
    # A file the submission does not carry, through the case: 404.
    other = reverse("cases:attachment", kwargs={"case_id": second.pk, "file_id": stray.pk})
    assert staff.get(other).status_code == 404
    # Staff of a department without a case of it: 404; the procedure's own department: as before.
    assert as_user(kosodate_charlie).get(url).status_code == 404
    assert (
        as_user(kaigo_alice)
        .get(reverse("cases:attachment", kwargs={"case_id": own.pk, "file_id": photo.pk}))
        .status_code
        == 200
    )
