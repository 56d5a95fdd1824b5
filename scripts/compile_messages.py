"""Compile every locale/*/LC_MESSAGES/*.po to .mo with polib (no GNU gettext needed).

`make messages` runs it after `makemessages`; a test checks that the committed
.mo files match their .po files.
"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent

for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
    po = polib.pofile(str(po_path))
    untranslated = po.untranslated_entries()
    if untranslated:
        print(f"{po_path.relative_to(ROOT)}: {len(untranslated)} untranslated: {untranslated[0].msgid!r} ...")
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    print(f"compiled {po_path.relative_to(ROOT)} ({po.percent_translated()}% translated)")
