"""Definitions: checked with errors that name the file, the line and the field; loaded as immutable
versions; a new version is used by new drafts while an old draft finishes on its own."""

import io

import pytest
from django.core.management import CommandError, call_command

from madoguchi.procedures.definitions import DefinitionError, parse_definition
from madoguchi.procedures.files import definitions_dir, parse_files
from madoguchi.procedures.models import Procedure, ProcedureVersion
from madoguchi.procedures.services import procedures_load_from_files

RISAI = (definitions_dir() / "risai_shomei.yaml").read_text(encoding="utf-8")
DEPARTMENTS = {"shisanzei", "kaigo-hoken"}


def test_every_definition_in_the_repository_is_valid():
    parsed, errors = parse_files()
    assert not errors, "\n".join(errors)
    assert len(parsed) == 28


def test_the_28_priority_procedures_are_all_defined():
    import json
    from pathlib import Path

    reference = Path(__file__).resolve().parents[2] / "shared" / "reference" / "procedures.json"
    ids = {p.id for p in parse_files()[0]}
    if reference.exists():
        assert ids == {entry["id"] for entry in json.loads(reference.read_text(encoding="utf-8"))}
    assert len(ids) == 28


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("type: choice", "type: choise"), ":48: form.pages[0].fields[5].type: 'choise' is not one of"),
        (
            ("field: same_address", "field: same_adress"),
            ":60: form.pages[1].fields[2].show_if.field: 'same_adress' is not a field asked before this point",
        ),
        (("department: shisanzei", "department: zeimu"), ":8: department: no department with code 'zeimu'"),
        (
            ("processing_days: 30", "processing_days: thirty"),
            ":11: processing_days: 'thirty' is not of type 'integer'",
        ),
        (
            ("{value: tsunami, label: {ja: 津波, en: Tsunami}}", "{value: tsunami, label: {ja: 津波}}"),
            ":73: form.pages[2].fields[0].choices[1].label: 'en' is a required property",
        ),
        (
            ("  - id: disaster\n", "  - id: household\n"),
            "form.pages[2].id: page id 'household' is used twice",
        ),
        (
            ("id: risai_shomei", "id: risai_shomei\nsurprise: 1"),
            ":4: surprise: Additional properties are not allowed ('surprise' was unexpected)",
        ),
        (
            ("equals: false}", "equals: nope}"),
            "show_if: 'same_address' is yes/no: compare with true or false",
        ),
        (("name: {ja: 罹災", "name: {ja: [罹災"), "not valid YAML"),
    ],
)
def test_a_bad_definition_is_refused_naming_file_line_and_field(change, expected):
    text = RISAI.replace(*change, 1)
    assert text != RISAI
    with pytest.raises(DefinitionError) as exc:
        parse_definition(text, source="data/procedures/risai_shomei.yaml", known_departments=DEPARTMENTS)
    message = "\n".join(exc.value.errors)
    assert message.startswith("data/procedures/risai_shomei.yaml:")
    assert expected in message, message


def test_a_my_number_field_must_name_its_legal_basis():
    text = RISAI.replace("        - {id: applicant_phone, type: phone,",
                         "        - {id: applicant_my_number, type: my_number, label: {ja: 個人番号, en: My Number}}\n"
                         "        - {id: applicant_phone, type: phone,", 1)  # fmt: skip
    with pytest.raises(DefinitionError) as exc:
        parse_definition(text, source="x.yaml", known_departments=DEPARTMENTS)
    assert any("my_number_legal_basis" in e for e in exc.value.errors)


def test_the_compiled_schema_checks_conditions_and_formats():
    from madoguchi.forms.engine import schema_errors

    schema = parse_definition(RISAI, source="x", known_departments=DEPARTMENTS).schema
    assert "damaged_address" not in schema["required"]
    rule = next(r for r in schema["allOf"] if r["if"]["properties"].get("same_address"))
    assert rule["then"] == {"required": ["damaged_address"]}
    errors = schema_errors(schema, {"disaster_date": "2025-02-30", "same_address": False})
    assert any(e.startswith("disaster_date:") for e in errors)
    assert any("damaged_address" in e for e in errors)


def test_the_command_reports_errors(tmp_path):
    bad = tmp_path / "risai_shomei.yaml"
    bad.write_text(RISAI.replace("type: choice", "type: choise", 1), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_procedures", str(bad), stderr=err)
    assert "risai_shomei.yaml:48: form.pages[0].fields[5].type" in err.getvalue()


@pytest.mark.django_db
def test_loading_is_idempotent_and_versions_are_immutable(city):
    first = procedures_load_from_files()
    assert first.created == 28 and first.unchanged == 0
    again = procedures_load_from_files()
    assert again.created == 0 and again.unchanged == 28
    version = ProcedureVersion.objects.first()
    version.definition = {}
    with pytest.raises(ValueError, match="immutable"):
        version.save()


@pytest.mark.django_db
def test_loading_is_all_or_nothing(city, settings, tmp_path):
    (tmp_path / "data" / "procedures").mkdir(parents=True)
    (tmp_path / "data" / "municipalities").mkdir()
    for path in (definitions_dir().parent / "municipalities").glob("042021-*.yaml"):
        (tmp_path / "data" / "municipalities" / path.name).write_text(
            path.read_text(encoding="utf-8"), encoding="utf-8"
        )
    (tmp_path / "data" / "procedures" / "risai_shomei.yaml").write_text(RISAI, encoding="utf-8")
    (tmp_path / "data" / "procedures" / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    settings.BASE_DIR = tmp_path
    with pytest.raises(DefinitionError):
        procedures_load_from_files()
    assert not Procedure.objects.exists()
