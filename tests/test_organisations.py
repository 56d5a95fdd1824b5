from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from madoguchi.organisations.models import Department, Municipality
from madoguchi.organisations.selectors import municipality_get_current
from madoguchi.organisations.services import MunicipalityFileError, municipality_load_from_file
from madoguchi.organisations.validators import (
    is_valid_local_government_code,
    local_government_check_digit,
    validate_local_government_code,
)
from tests.conftest import CITY_FILE

POLICY_DEPARTMENTS = [
    "ICT総合推進課",
    "行政経営課",
    "復興政策課",
    "総務課",
    "人事課",
    "資産税課",
    "市民税課",
    "市民課",
    "健康推進課",
    "保険年金課",
    "介護保険課",
    "障害福祉課",
    "保護課",
    "子育て支援課",
    "子ども保育課",
    "教育総務課",
    "選挙管理委員会事務局",
]


@pytest.mark.parametrize("code", ["042021", "040002", "131016", "011002", "471003"])
def test_valid_local_government_codes(code):
    assert is_valid_local_government_code(code)
    validate_local_government_code(code)


def test_check_digit_of_ishinomaki():
    assert local_government_check_digit("04202") == 1


@pytest.mark.parametrize("code", ["042020", "042022", "04202", "0420211", "04202a", "０４２０２１", ""])
def test_invalid_local_government_codes(code):
    assert not is_valid_local_government_code(code)
    with pytest.raises(ValidationError) as exc:
        validate_local_government_code(code)
    assert "地方公共団体コード" in exc.value.messages[0]


def test_every_remainder_gives_a_single_digit():
    # Remainders 0 and 1 are the edge cases of "the last digit of 11 - remainder".
    for five in ("00000", "00001", "10000", "99999", "12345"):
        digit = local_government_check_digit(five)
        assert 0 <= digit <= 9
        assert is_valid_local_government_code(five + str(digit))


def test_load_ishinomaki_from_its_data_file(db, settings):
    result = municipality_load_from_file(path=CITY_FILE)
    assert result.municipality.code == "042021"
    assert result.municipality.name == "石巻市"
    assert result.created == 17
    names = list(Department.objects.filter(municipality=result.municipality).values_list("name", flat=True))
    assert names == POLICY_DEPARTMENTS
    assert municipality_get_current() == result.municipality


def test_loading_twice_changes_nothing(db):
    municipality_load_from_file(path=CITY_FILE)
    again = municipality_load_from_file(path=CITY_FILE)
    assert (again.created, again.updated, again.deactivated) == (0, 0, 0)
    assert Department.objects.count() == 17


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "city.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_department_removed_from_the_file_is_deactivated_not_deleted(db, tmp_path):
    municipality_load_from_file(path=CITY_FILE)
    text = CITY_FILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "code: senkyo" not in line]
    result = municipality_load_from_file(path=_write(tmp_path, "\n".join(lines)))
    assert result.deactivated == 1
    assert Department.objects.get(code="senkyo").is_active is False


def test_another_city_needs_no_code_change(db, tmp_path):
    path = _write(
        tmp_path,
        """
code: "131016"
name: 千代田区
prefecture: 東京都
postal_code: 102-8688
address: 東京都千代田区九段南1-2-1
phone: 03-3264-2111
departments:
  - {code: kumin, name: 区民課}
""",
    )
    result = municipality_load_from_file(path=path)
    assert result.municipality.name == "千代田区"
    assert result.municipality.departments.get().name == "区民課"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "code: '042022'\nname: x\nprefecture: x\npostal_code: 986-8501\naddress: x\nphone: x\n"
            "departments: []\n",
            "code: 地方公共団体コードの検査数字",
        ),
        ("code: '042021'\nname: x\n", "missing keys: prefecture, postal_code, address, phone, departments"),
        (
            "code: '042021'\nname: x\nprefecture: x\npostal_code: 986-8501\naddress: x\nphone: x\n"
            "departments:\n  - {code: a, name: A}\n  - {code: a, name: B}\n",
            "departments[1]: the code 'a' is used twice",
        ),
        (
            "code: '042021'\nname: x\nprefecture: x\npostal_code: 986-8501\naddress: x\nphone: x\n"
            "departments:\n  - {code: 'not a slug', name: A}\n",
            "departments[0]: code:",
        ),
        ("- just\n- a list\n", "must hold a mapping"),
        ("code: [unclosed\n", "city.yaml"),
    ],
)
def test_a_bad_file_is_refused_with_its_place_named_and_nothing_written(db, tmp_path, body, expected):
    path = _write(tmp_path, body)
    with pytest.raises(MunicipalityFileError) as exc:
        municipality_load_from_file(path=path)
    assert str(path) in str(exc.value)
    assert expected in str(exc.value)
    assert Municipality.objects.count() == 0
    assert Department.objects.count() == 0
