"""Life-event guides: files checked with errors naming the file, the line and the field; loaded
idempotently; the questions choose the right steps; answers go by POST, are kept on errors, and
never reach a URL or a log record."""

from __future__ import annotations

import io
import logging
import re
from contextlib import contextmanager
from html import unescape

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from madoguchi.lifeevents.definitions import GuideError, parse_guide, steps_for
from madoguchi.lifeevents.files import guides_dir, parse_files, procedure_definitions
from madoguchi.lifeevents.models import LifeEventGuide
from madoguchi.lifeevents.services import guides_load_from_files

SOURCE = "data/life_events/birth.yaml"
BIRTH = (guides_dir() / "birth.yaml").read_text(encoding="utf-8")
GUIDES = {"moving", "birth", "care", "disaster"}


# --- the files ------------------------------------------------------------------------


def test_every_guide_in_the_repository_is_valid():
    parsed, errors = parse_files()
    assert not errors, "\n".join(errors)
    assert {g.id for g in parsed} == GUIDES


def test_every_procedure_a_guide_names_is_defined_and_every_step_has_a_place_to_go():
    procedures = procedure_definitions()
    for guide in parse_files()[0]:
        for step in guide.data["steps"]:
            if "procedure" in step:
                assert step["procedure"] in procedures
                assert step["procedure_name"]["ja"] == procedures[step["procedure"]]["name"]["ja"]
            else:
                assert step["where"] in ("counter", "other_office", "online_elsewhere")
                assert step["place"]["ja"] and step["place"]["en"]
        assert guide.data.get("to_confirm"), f"{guide.id}: list what could not be verified"


@pytest.mark.parametrize(
    ("old", "new", "expected", "offset"),
    [
        (
            "  - procedure: ninshin_todoke\n",
            "  - procedure: ninshin_todokee\n",
            "steps[0].procedure: no procedure 'ninshin_todokee' in data/procedures/",
            0,
        ),
        (
            "    show_if: {field: stage, equals: born}\n  - id: insurance",
            "    show_if: {field: childcare, equals: true}\n  - id: insurance",
            "questions[1].show_if.field: 'childcare' is not a field asked before this point",
            0,
        ),
        (
            "    when: {field: stage, equals: pregnant}\n    deadline",
            "    when: {field: stage, equals: expecting}\n    deadline",
            "steps[0].when: ['expecting'] is not a choice of 'stage'",
            0,
        ),
        (
            "{field: allowance_now, equals: false}",
            "{field: allowance_now, equals: nope}",
            "steps[8].when[1]: 'allowance_now' is yes/no: compare with true or false",
            0,
        ),
        (
            "{field: stage, equals: born}, {field: childcare, equals: true}]\n    deadline",
            "{field: stage, equals: born}, {field: nursery, equals: true}]\n    deadline",
            "steps[13].when[1].field: 'nursery' is not a field asked before this point",
            0,
        ),
        (
            "    title: {ja: 出生届, en: Birth registration (出生届)}",
            "    title: {ja: 出生届}",
            "steps[3].title: 'en' is a required property",
            0,
        ),
        (
            "    where: other_office\n",
            "    where: elsewhere\n",
            "steps[5].where: 'elsewhere' is not one of",
            0,
        ),
        (
            "    where: other_office\n",
            "    where: other_office\n    link: http://example.com/\n",
            "steps[5].link: 'http://example.com/' does not match",
            1,
        ),
        (
            "  - procedure: ninshin_todoke\n",
            "  - procedure: ninshin_todoke\n    place: {ja: 健康推進課, en: Health Promotion Division}\n",
            "steps[0].place: a Madoguchi procedure step takes its name, place and documents from the procedure",
            1,
        ),
        (
            "  - id: kokuho_kanyu\n",
            "  - id: shussei_todoke\n",
            "steps[4].id: step id 'shussei_todoke' is used twice",
            0,
        ),
        (
            "    type: yes_no\n",
            "    type: text\n",
            "questions[1].type: 'text' is not one of ['choice', 'yes_no']",
            0,
        ),
        ("id: birth\n", "id: birth\nsurprise: 1\n", "surprise: Additional properties are not allowed", 1),
        ("name: {ja: 妊娠", "name: {ja: [妊娠", "not valid YAML", 0),
    ],
)
def test_a_bad_guide_is_refused_naming_file_line_and_field(old, new, expected, offset):
    assert old in BIRTH
    text = BIRTH.replace(old, new, 1)
    line = BIRTH[: BIRTH.index(old)].count("\n") + 1 + offset  # where the change is, plus lines it adds
    with pytest.raises(GuideError) as exc:
        parse_guide(text, source=SOURCE, procedures=procedure_definitions())
    message = "\n".join(exc.value.errors)
    assert message.startswith(f"{SOURCE}:"), message
    assert expected in message, message
    if expected != "not valid YAML":
        assert f"{SOURCE}:{line}: {expected}" in message, message


def test_an_off_system_step_needs_a_title_a_kind_of_place_and_a_place():
    text = BIRTH.replace(
        "    place: {ja: 親の勤め先（健康保険組合・共済組合など）, "
        'en: "The parent\'s employer (health insurance society, mutual aid association and so on)"}\n',
        "",
        1,
    )
    assert text != BIRTH
    with pytest.raises(GuideError) as exc:
        parse_guide(text, source=SOURCE, procedures=procedure_definitions())
    assert any(re.match(rf"{SOURCE}:\d+: steps\[5\]: .* needs 'place'", e) for e in exc.value.errors), (
        exc.value
    )


def test_the_command_checks_files_and_exits_non_zero_naming_the_place(tmp_path):
    out = io.StringIO()
    call_command("check_life_events", stdout=out)
    assert "4 guide(s) are fine" in out.getvalue()
    bad = tmp_path / "birth.yaml"
    bad.write_text(BIRTH.replace("where: other_office", "where: elsewhere", 1), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_life_events", str(bad), stderr=err)
    assert re.search(r"birth\.yaml:\d+: steps\[5\]\.where: 'elsewhere' is not one of", err.getvalue())


def test_the_file_name_is_the_guide_id(tmp_path):
    other = tmp_path / "babies.yaml"
    other.write_text(BIRTH, encoding="utf-8")
    parsed, errors = parse_files([other])
    assert not parsed
    assert errors == [f"{other}:1: id: the id 'birth' must match the file name 'babies'"]


# --- loading ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_loading_is_idempotent_and_versions_changed_guides(city, tmp_path, monkeypatch):
    first = guides_load_from_files()
    assert (first.created, first.updated, first.unchanged, first.retired) == (4, 0, 0, 0)
    again = guides_load_from_files()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert list(LifeEventGuide.objects.values_list("slug", flat=True)) == [
        "moving",
        "birth",
        "care",
        "disaster",
    ]

    for name in ("birth", "care"):
        (tmp_path / f"{name}.yaml").write_text(
            (guides_dir() / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
    birth = tmp_path / "birth.yaml"
    birth.write_text(birth.read_text(encoding="utf-8").replace("なるべく早く", "すぐに", 1), encoding="utf-8")
    monkeypatch.setattr("madoguchi.lifeevents.files.guides_dir", lambda: tmp_path)
    changed = guides_load_from_files()
    assert (changed.created, changed.updated, changed.unchanged, changed.retired) == (0, 1, 1, 2)
    guide = LifeEventGuide.objects.get(slug="birth")
    assert guide.version == 2 and "すぐに" in str(guide.definition)
    assert not LifeEventGuide.objects.get(slug="moving").is_active


@pytest.mark.django_db
def test_loading_is_all_or_nothing(city, tmp_path, monkeypatch):
    (tmp_path / "birth.yaml").write_text(
        BIRTH.replace("where: other_office", "where: x", 1), encoding="utf-8"
    )
    monkeypatch.setattr("madoguchi.lifeevents.files.guides_dir", lambda: tmp_path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_life_events", stderr=err)
    assert "birth.yaml:" in err.getvalue()
    assert not LifeEventGuide.objects.exists()


# --- the pages ----------------------------------------------------------------------------


@pytest.fixture
def guides(city):
    from madoguchi.procedures.services import procedures_load_from_files

    procedures_load_from_files()
    guides_load_from_files()


def _post(client, slug, answers, **extra):
    data = {
        f"f-{key}": ("yes" if value is True else "no" if value is False else value)
        for key, value in answers.items()
    }
    return client.post(f"/life/{slug}/", data, **extra)


def _steps(response) -> list[str]:
    return re.findall(r'<li id="step-([a-z0-9_]+)"', response.content.decode())


@pytest.mark.django_db
def test_the_list_shows_every_guide_and_the_home_page_links_to_it(client, guides):
    response = client.get("/life/")
    assert response.status_code == 200
    html = response.content.decode()
    for slug, name in (("moving", "引っ越し"), ("birth", "妊娠・出産・子育て"), ("care", "介護が必要になったとき"),
                       ("disaster", "災害にあったとき")):  # fmt: skip
        assert f'href="/life/{slug}/"' in html and name in html
    assert html.index("/life/moving/") < html.index("/life/birth/") < html.index("/life/care/")
    assert 'href="/life/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_guide_page_asks_the_questions_by_post_and_links_the_catalogue(client, guides):
    response = client.get("/life/birth/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<form method="post" action="/life/birth/#plan"', html)  # the steps, once answered
    assert 'name="f-stage"' in html and 'name="f-childcare"' in html
    # A later question is drawn with a note, since the page works without JavaScript.
    assert "「子どもが生まれた」を選んだ場合に入力してください。" in html
    assert 'href="/procedures/?event=birth"' in html and 'href="/procedures/?event=childcare"' in html
    assert "step-" not in html
    assert client.get("/life/no-such-guide/").status_code == 404
    assert client.put("/life/birth/").status_code == 405


BIRTH_CHILDCARE = {"stage": "born", "allowance_now": False, "insurance": "kokuho", "childcare": True}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "answers", "first", "included", "excluded"),
    [
        ("birth", {"stage": "pregnant"}, "ninshin_todoke", ["boshi_techo", "shien_kyufu_1"],
         ["shussei_todoke", "jidoteate_nintei_seikyu", "hoiku_shikyu_nintei"]),
        ("birth", BIRTH_CHILDCARE, "shussei_todoke",
         ["kokuho_kanyu", "jidoteate_nintei_seikyu", "hoiku_shikyu_nintei", "hoiku_riyo_moushikomi"],
         ["ninshin_todoke", "jidoteate_gaku_kaitei", "shakai_hoken"]),
        ("birth", {"stage": "born", "allowance_now": True, "insurance": "employer", "childcare": False},
         "shussei_todoke", ["jidoteate_gaku_kaitei", "shakai_hoken"],
         ["jidoteate_nintei_seikyu", "kokuho_kanyu", "hoiku_shikyu_nintei"]),
        ("moving", {"direction": "out", "my_number_card": True, "kokuho": True, "children": True, "school": True,
                    "care": True}, "out_tenshutsu_online",
         ["out_kokuho", "out_kaigo_shikaku", "jidoteate_jukyu_jiyu_shometsu", "out_school", "out_tennyu_card",
          "out_new_jidoteate", "e_tenkyo"],
         ["out_tenshutsu_counter", "out_tennyu_paper", "in_tennyu", "within_tenkyo", "jidoteate_nintei_seikyu"]),
        ("moving", {"direction": "out", "my_number_card": False, "kokuho": False, "children": False, "care": False},
         "out_tenshutsu_counter", ["out_tennyu_paper"], ["out_tenshutsu_online", "out_kokuho", "out_school"]),
        ("moving", {"direction": "in", "kokuho": True, "children": True, "school": False, "care": True},
         "in_tenshutsu", ["in_tennyu", "in_kokuho", "kaigo_nintei_tennyu", "jidoteate_nintei_seikyu", "in_iryohi"],
         ["in_school", "out_tennyu_card", "tenshutsu_tennyu_yoyaku", "within_tenkyo"]),
        ("moving", {"direction": "within", "kokuho": False, "children": True, "school": True, "care": False},
         "within_tenkyo", ["jidoteate_shimei_jusho_henko", "within_school"], ["in_tennyu", "kaigo_nintei_tennyu"]),
        ("care", {"age": "age_65", "status": "none", "home_services": True, "equipment": False, "alteration": True,
                  "facility": False}, "houkatsu_soudan",
         ["kaigo_nintei_shinki", "care_manager", "kaigo_kyotaku_keikaku_irai", "kaigo_jutaku_kaishu"],
         ["kaigo_nintei_koshin", "kaigo_fukushi_yogu_konyu", "kaigo_kogaku_service_hi", "shogai_soudan"]),
        ("care", {"age": "age_40_64", "status": "renew", "home_services": False, "equipment": True,
                  "alteration": False, "facility": True, "high_cost": True}, "kaigo_nintei_koshin",
         ["kaigo_fukushi_yogu_konyu", "kaigo_futan_gendogaku_nintei", "kaigo_kogaku_service_hi"],
         ["kaigo_nintei_shinki", "houkatsu_soudan", "kaigo_nintei_kubun_henko"]),
        ("care", {"age": "under_40"}, "shogai_soudan", [], ["kaigo_nintei_shinki", "houkatsu_soudan"]),
        ("disaster", {"home_damage": True, "need_housing": False, "repair": True, "other_damage": False,
                      "casualty": False, "kokuho": True, "elderly": False}, "risai_shomei",
         ["oukyu_shuri", "shienkin", "zei_genmen", "kokuho_genmen", "saigai_gomi"],
         ["hisai_shomei", "kasetsu_jutaku", "choikin", "kaigo_genmen"]),
        ("disaster", {"home_damage": False, "other_damage": True, "casualty": True, "kokuho": False,
                      "elderly": True}, "hisai_shomei", ["choikin", "kaigo_genmen"],
         ["risai_shomei", "shienkin", "kokuho_genmen", "oukyu_shuri"]),
    ],
)  # fmt: skip
def test_each_guide_lists_the_steps_for_the_answers(client, guides, slug, answers, first, included, excluded):
    response = _post(client, slug, answers)
    assert response.status_code == 200, response.content.decode()[:2000]
    steps = _steps(response)
    assert steps[0] == first
    for step in included:
        assert step in steps
    for step in excluded:
        assert step not in steps
    html = response.content.decode()
    assert 'id="plan-title"' in html
    for number in range(1, len(steps) + 1):
        assert f"<h3>{number}. " in html
    # the same choice as the pure function gives
    definition = LifeEventGuide.objects.get(slug=slug).definition
    assert steps == [s["id"] for s in steps_for(definition, answers)]


@pytest.mark.django_db
def test_a_step_says_where_when_and_what_to_bring(client, guides):
    html = unescape(_post(client, "birth", BIRTH_CHILDCARE).content.decode())
    seikyu = html[html.index('id="step-jidoteate_nintei_seikyu"') :]
    seikyu = seikyu[: seikyu.index("</li>\n")]
    assert "児童手当の認定請求" in seikyu and "オンラインで申請できます" in seikyu
    assert "子育て支援課の窓口や郵送でもできます" in seikyu
    assert "生まれた日の次の日から15日以内" in seikyu
    assert "請求する人の名義の通帳かキャッシュカード" in seikyu  # from the procedure's prepare
    assert "口座がわかるもの" in seikyu  # an attachment label
    assert 'href="/procedures/jidoteate_nintei_seikyu/"' in seikyu
    todoke = html[html.index('id="step-shussei_todoke"') :]
    todoke = todoke[: todoke.index("</li>\n")]
    assert "窓口で" in todoke and "市民課（本庁舎）、各総合支所" in todoke and "持っていくもの" in todoke
    assert "生まれた日を入れて14日以内" in todoke and "母子健康手帳" in todoke


@pytest.mark.django_db
def test_an_outside_link_and_another_office(client, guides):
    html = _post(
        client, "moving", {"direction": "in", "kokuho": False, "children": False, "care": False}
    ).content.decode()
    step = html[html.index('id="step-in_tenshutsu"') :]
    assert "ほかの役所などで" in step[: step.index("</li>")]
    assert 'href="https://myna.go.jp/" rel="noopener noreferrer"' in step


@pytest.mark.django_db
def test_a_missing_answer_is_named_and_the_other_answers_are_kept(client, guides):
    response = _post(client, "birth", {"stage": "born", "insurance": "kokuho", "childcare": True})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert re.search(
        r'<a href="#f-allowance_now-0">上の子の児童手当を、いま受け取っていますか：どれか一つを選んでください。</a>',
        html,
    )
    assert 'id="f-allowance_now-error"' in html
    assert re.search(r'value="born" checked', html)
    assert re.search(r'value="kokuho" checked', html)
    assert re.search(r'id="f-childcare-0" name="f-childcare" value="yes" checked', html)
    assert "plan-title" not in html and "step-" not in html
    assert "<title>エラー:" in html


@pytest.mark.django_db
def test_errors_are_in_english_when_the_site_is(client, guides):
    client.post(reverse("core:set_language"), {"language": "en", "next": "/life/birth/"})
    response = _post(client, "birth", {"stage": "born", "insurance": "kokuho"})
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert '<html lang="en">' in html
    assert "Do you already receive the child allowance for an older child?：Choose one." in html
    assert "Pregnancy, birth and raising a child" in html
    ok = unescape(_post(client, "birth", BIRTH_CHILDCARE).content.decode())
    assert "Child allowance" in ok or "child allowance" in ok
    assert "Within 15 days from the day after the birth" in ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"f-stage": "twins"},
        {"f-stage": "born", "f-allowance_now": "maybe", "f-insurance": "kokuho", "f-childcare": "yes"},
        {"f-stage": "born", "f-allowance_now": "no", "f-insurance": "<script>", "f-childcare": "yes"},
        {"f-stage": ["pregnant", "twins"], "f-childcare": ["yes", "no"]},
        {"f-stage": "x" * 100_000},
        "f-stage=%00%ED%A0%80&f-childcare=%FF",  # a NUL and bytes that are not UTF-8
        {},
    ],
)
def test_bogus_answers_are_errors_never_a_500(client, guides, data):
    if isinstance(data, str):
        response = client.post("/life/birth/", data, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post("/life/birth/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "<script>" not in html.split("</head>", 1)[1]
    assert "x" * 200 not in html


@pytest.mark.django_db
def test_bogus_answers_on_every_guide(client, guides):
    for slug in GUIDES:
        questions = LifeEventGuide.objects.get(slug=slug).definition["questions"]
        response = client.post(f"/life/{slug}/", {f"f-{q['id']}": "bogus" for q in questions})
        assert response.status_code == 400, slug


@pytest.mark.django_db
def test_a_steps_procedure_that_is_not_published_points_to_the_counter(client, guides):
    from madoguchi.procedures.models import Procedure

    Procedure.objects.filter(slug="hoiku_shikyu_nintei").update(is_active=False)
    html = _post(client, "birth", BIRTH_CHILDCARE).content.decode()
    step = html[html.index('id="step-hoiku_shikyu_nintei"') :]
    step = step[: step.index("</li>")]
    assert "教育・保育給付認定（支給認定）の申請" in step and "子ども保育課" in step and "窓口で" in step
    assert "/procedures/hoiku_shikyu_nintei/" not in step
    assert 'value="hoiku_shikyu_nintei"' not in html


@pytest.mark.django_db
def test_a_retired_guide_is_gone(client, guides):
    LifeEventGuide.objects.filter(slug="care").update(is_active=False)
    assert client.get("/life/care/").status_code == 404
    assert "/life/care/" not in client.get("/life/").content.decode()


# --- the hand-off to bundle filing ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_online_steps_can_be_filed_together(client, guides):
    bundle_url = reverse("submissions:bundle_start")
    html = _post(client, "birth", BIRTH_CHILDCARE).content.decode()
    form = html[html.index(f'action="{bundle_url}"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="guide" value="birth">' in form
    boxes = re.findall(
        r'<input type="checkbox" id="bundle-(\w+)" name="procedure" value="(\w+)" checked>', form
    )
    assert [value for _, value in boxes] == [
        "jidoteate_nintei_seikyu",
        "hoiku_shikyu_nintei",
        "hoiku_riyo_moushikomi",
    ]
    assert "チェックした手続をまとめて申請する" in form
    assert "csrfmiddlewaretoken" in form
    # one online procedure: its own link is enough
    single = _post(client, "birth", {"stage": "pregnant"}).content.decode()
    assert "bundle-title" not in single


# --- privacy: answers stay out of URLs, caches and logs ---------------------------------------------


@contextmanager
def _all_log_records():
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(level=logging.DEBUG)
    loggers = [
        logging.getLogger(),
        *(logging.getLogger(n) for n in ("django", "django.request", "madoguchi")),
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)


@pytest.mark.django_db
def test_answers_never_reach_a_url_a_cache_or_a_log(guides):
    client = Client()
    page = client.get("/life/birth/")
    assert 'method="post"' in page.content.decode() and 'method="get"' not in page.content.decode()
    with _all_log_records() as records:
        ok = _post(client, "birth", {"stage": "pregnant"})
        bad = _post(client, "birth", {"stage": "born", "insurance": "kokuho"})
    assert ok.status_code == 200 and bad.status_code == 400  # answered in place: no redirect carrying answers
    for response in (ok, bad):
        assert "no-store" in response["Cache-Control"]
        hrefs = re.findall(r'(?:href|action)="([^"]*)"', response.content.decode())
        assert not [h for h in hrefs if re.search(r"pregnant|born|kokuho|f-stage|stage=", h)], hrefs
    logged = " ".join(
        f"{r.getMessage()} {r.args!r} {getattr(r, 'request', '')!r} {r.__dict__!r}" for r in records
    )
    for answer in ("pregnant", "kokuho", "妊娠している", "f-stage", "f-insurance"):
        assert answer not in logged, answer
    assert records, "the 400 is logged (by path only), so the check saw the records"
