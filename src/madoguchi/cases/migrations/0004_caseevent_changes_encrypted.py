"""The correction history (``CaseEvent.changes``: before/after values of corrected answers) moves
from a plain JSON column to the privacy core's encrypted JSON field.

Steps, the same on SQLite and PostgreSQL: add a text column beside the old one, encrypt every
non-empty value into it, drop the old column, give the new one its name. The ciphertext is bound
to the column's final name (``cases.caseevent.changes``), so it is made here with that context
rather than through the temporary field. Empty values ({}) become NULL. Reversible: going back
decrypts into a plain JSON column again.
"""

import json

from django.db import migrations, models

import madoguchi.privacy.fields

CONTEXT = "cases.caseevent.changes"  # EncryptedTextField.crypto_context of the final field
BATCH = 500


def encrypt_changes(apps, schema_editor):
    from madoguchi.privacy.crypto import keyring

    CaseEvent = apps.get_model("cases", "CaseEvent")
    rows = CaseEvent.objects.only("pk", "changes").order_by("pk")
    pending = []
    for event in rows.iterator(chunk_size=BATCH):
        if not event.changes:
            continue
        plain = json.dumps(event.changes, ensure_ascii=False, sort_keys=True)
        event.changes_encrypted = keyring().encrypt(plain, context=CONTEXT)
        pending.append(event)
        if len(pending) >= BATCH:
            CaseEvent.objects.bulk_update(pending, ["changes_encrypted"])
            pending = []
    if pending:
        CaseEvent.objects.bulk_update(pending, ["changes_encrypted"])


def decrypt_changes(apps, schema_editor):
    from madoguchi.privacy.crypto import keyring

    CaseEvent = apps.get_model("cases", "CaseEvent")
    pending = []
    rows = (
        CaseEvent.objects.filter(changes_encrypted__isnull=False)
        .only("pk", "changes_encrypted")
        .order_by("pk")
    )
    for event in rows.iterator(chunk_size=BATCH):
        event.changes = json.loads(keyring().decrypt(event.changes_encrypted, context=CONTEXT))
        pending.append(event)
        if len(pending) >= BATCH:
            CaseEvent.objects.bulk_update(pending, ["changes"])
            pending = []
    if pending:
        CaseEvent.objects.bulk_update(pending, ["changes"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_case_queue_open_due")]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="changes_encrypted",
            field=models.TextField(null=True, blank=True),
        ),
        migrations.RunPython(encrypt_changes, decrypt_changes),
        migrations.RemoveField(model_name="caseevent", name="changes"),
        migrations.RenameField(model_name="caseevent", old_name="changes_encrypted", new_name="changes"),
        migrations.AlterField(
            model_name="caseevent",
            name="changes",
            field=madoguchi.privacy.fields.EncryptedJSONField(blank=True, default=None, null=True),
        ),
    ]
