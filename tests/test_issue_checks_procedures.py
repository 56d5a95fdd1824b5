"""Issue 4 check: each of the 28 procedures belongs to the department the policy lists for it
(../shared/reference/procedures.json, when present beside the repository)."""

import json
from pathlib import Path

import pytest
import yaml

from madoguchi.procedures.files import parse_files

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference" / "procedures.json"
CITY = ROOT / "data" / "municipalities" / "042021-ishinomaki.yaml"


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is not beside this checkout")
def test_each_procedure_belongs_to_the_department_the_policy_lists():
    names = {d["code"]: d["name"] for d in yaml.safe_load(CITY.read_text(encoding="utf-8"))["departments"]}
    expected = {e["id"]: e["department_ja"] for e in json.loads(REFERENCE.read_text(encoding="utf-8"))}
    actual = {p.id: names[p.data["department"]] for p in parse_files()[0]}
    assert actual == expected
