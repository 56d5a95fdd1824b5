"""A life-event guide in Chromium, in Japanese and in English, with and without JavaScript: the list,
the questions, an error, the steps; axe finds nothing on any of them."""

import pytest
from playwright.sync_api import expect

from madoguchi.lifeevents.services import guides_load_from_files
from madoguchi.procedures.services import procedures_load_from_files
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"ja": "ja-JP", "en": "en-US"}
TEXT = {
    "ja": {"guide": "妊娠・出産・子育て", "born": "子どもが生まれた", "kokuho": "国民健康保険",
           "claim": "児童手当の認定請求", "birth_registration": "出生届"},
    "en": {"guide": "Pregnancy, birth and raising a child", "born": "My child has been born",
           "kokuho": "National Health Insurance (国民健康保険)", "claim": "Claim for the child allowance",
           "birth_registration": "Birth registration (出生届)"},
}  # fmt: skip


@pytest.fixture
def guides(city):
    procedures_load_from_files()
    guides_load_from_files()


def _submit(page):
    page.locator('main form[action$="/life/birth/#plan"] button[type="submit"]').click()
    page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False])
@pytest.mark.parametrize("language", ["ja", "en"])
def test_birth_guide_from_the_list_to_the_steps(live_server, guides, new_page, language, javascript):
    text = TEXT[language]
    page = new_page(locale=LOCALES[language], javascript=javascript)
    # axe runs in the page, so only with JavaScript; without it the same pages must still work.
    check = assert_accessible if javascript else (lambda page: None)
    page.goto(live_server.url + "/life/")
    assert page.locator("html").get_attribute("lang") == language
    check(page)  # the list

    page.get_by_role("link", name=text["guide"]).click()
    page.wait_for_url(live_server.url + "/life/birth/")
    expect(page.locator("h1")).to_have_text(text["guide"])
    check(page)  # the questions

    page.get_by_label(text["born"], exact=True).check()
    _submit(page)  # the other questions are not answered yet
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".field__error")).to_have_count(3)
    assert page.get_by_label(text["born"], exact=True).is_checked()  # what was chosen is kept
    assert page.url == live_server.url + "/life/birth/#plan"  # no answers in the address
    check(page)  # the errors

    page.locator('input[name="f-allowance_now"][value="no"]').check()
    page.get_by_label(text["kokuho"], exact=True).check()
    page.locator('input[name="f-childcare"][value="yes"]').check()
    _submit(page)
    assert page.url == live_server.url + "/life/birth/#plan"  # no answers in the address; the steps in view
    expect(page.locator("#plan")).to_be_in_viewport()
    steps = page.locator("ol.plan-steps > li")
    expect(steps.first.locator("h3")).to_have_text(f"1. {text['birth_registration']}")
    expect(page.locator("#step-jidoteate_nintei_seikyu h3")).to_contain_text(text["claim"])
    expect(page.locator("#step-hoiku_shikyu_nintei")).to_be_visible()
    expect(page.locator("#step-ninshin_todoke")).to_have_count(0)
    expect(
        page.locator('#step-jidoteate_nintei_seikyu a[href="/procedures/jidoteate_nintei_seikyu/"]')
    ).to_be_visible()
    assert page.get_by_label(
        text["born"], exact=True
    ).is_checked()  # the questions, answered, above the steps
    check(page)  # the steps

    boxes = page.locator('input[type="checkbox"][name="procedure"]')
    if boxes.count():  # the bundle hand-off, once submissions:bundle_start exists
        assert [boxes.nth(i).get_attribute("value") for i in range(boxes.count())] == [
            "jidoteate_nintei_seikyu", "hoiku_shikyu_nintei", "hoiku_riyo_moushikomi",
        ]  # fmt: skip
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("slug", ["moving", "care", "disaster"])
def test_the_other_guides_are_accessible(live_server, guides, new_page, language, slug):
    page = new_page(locale=LOCALES[language])
    page.goto(f"{live_server.url}/life/{slug}/")
    assert_accessible(page)
    # Answer every question with its first choice (or はい), as far as the questions go.
    for _ in range(3):  # later questions depend on earlier answers
        for name in page.locator('main form input[type="radio"]').evaluate_all(
            "els => [...new Set(els.map(e => e.name))]"
        ):
            group = page.locator(f'input[name="{name}"]')
            if not any(group.nth(i).is_checked() for i in range(group.count())):
                group.first.check()
    _submit_any(page, slug)
    expect(page.locator("ol.plan-steps > li").first).to_be_visible()
    assert_accessible(page)


def _submit_any(page, slug):
    page.locator(f'main form[action$="/life/{slug}/#plan"] button[type="submit"]').click()
    page.wait_for_load_state()
