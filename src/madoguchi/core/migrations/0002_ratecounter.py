from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0001_worker_heartbeat")]

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                (
                    "key",
                    models.CharField(max_length=250, primary_key=True, serialize=False, verbose_name="キー"),
                ),
                ("value", models.BigIntegerField(default=0, verbose_name="回数")),
                ("expires", models.DateTimeField(db_index=True, verbose_name="期限")),
            ],
            options={"verbose_name": "回数制限のカウンタ", "verbose_name_plural": "回数制限のカウンタ"},
        ),
    ]
