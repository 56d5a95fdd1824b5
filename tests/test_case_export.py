import json
import pytest
from madoguchi.procedures.models import Procedure
from madoguchi.procedures.services import procedures_load_from_files
from madoguchi.forms.samples import sample_answers
from madoguchi.submissions.services import draft_start, draft_save, submission_create


@pytest.mark.django_db
def test_scratch(city, citizen_erin):
    procedures_load_from_files()
    for slug in ["kaigo_nintei_shinki", "jidoteate_nintei_seikyu"]:
        p = Procedure.objects.get(slug=slug)
        d = p.current_version.definition
        print(slug, p.department.code, d.get("workflow"))
        for page in d["form"]["pages"]:
            print(" page", page["id"], page.get("repeat"), [(f["id"], f["type"]) for f in page["fields"]])
        ans = sample_answers(d)
        print(json.dumps(ans, ensure_ascii=False)[:1500])
        draft = draft_start(procedure=p, user=citizen_erin)
        draft_save(draft=draft, values=ans)
        s = submission_create(draft_id=draft.pk, idempotency_key=draft.submission_token, user=citizen_erin)
        c = s.cases.get()
        print(c.__dict__)
