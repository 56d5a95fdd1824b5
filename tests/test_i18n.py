"""English is complete and the compiled catalogue matches its source."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def test_every_message_has_an_english_translation():
    po = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / "django.po"))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()][:5]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()][:5]
    assert len(po) > 100


def test_compiled_catalogue_is_up_to_date():
    po = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / "en" / "LC_MESSAGES" / "django.mo"))

    def translations(entries):
        return {(e.msgctxt, e.msgid): e.msgstr or tuple(sorted(e.msgstr_plural.items())) for e in entries
                if e.msgstr or any(e.msgstr_plural.values())}  # fmt: skip

    compiled, source = translations(mo), translations(po)
    assert compiled == source, "run `make messages` (or scripts/compile_messages.py)"


def test_templates_use_no_untagged_japanese_outside_translation_blocks():
    # A cheap guard: every template line with Japanese text is inside a translate tag, or marked lang="ja".
    import re

    root = Path(__file__).resolve().parent.parent / "src" / "madoguchi"
    offenders = []
    for path in root.rglob("templates/**/*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = re.sub(r"{%.*?%}|{{.*?}}", "", line)
            if (
                re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", stripped)
                and "translate" not in line
                and 'lang="ja"' not in line
            ):
                offenders.append(f"{path.relative_to(root)}:{number}")
    assert not offenders, offenders


def test_every_translate_tag_in_the_templates_is_in_the_catalogue():
    """Catches a catalogue that `make messages` failed to update (msgmerge errors are easy to miss)."""
    import re

    po = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / "django.po"))
    known = {e.msgid for e in po}
    root = Path(__file__).resolve().parent.parent / "src" / "madoguchi"
    missing = set()
    for path in root.rglob("templates/**/*.html"):
        for text in re.findall(r'{%\s*translate\s+"([^"]+)"', path.read_text(encoding="utf-8")):
            if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text) and text not in known:
                missing.add(f"{path.name}: {text}")
    assert not missing, sorted(missing)[:10]
