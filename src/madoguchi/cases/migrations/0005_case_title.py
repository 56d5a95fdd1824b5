from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_caseevent_changes_encrypted")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="title",
            field=models.CharField(blank=True, max_length=120, verbose_name="案件の名前"),
        ),
        migrations.AddField(
            model_name="case",
            name="title_en",
            field=models.CharField(blank=True, max_length=120),
        ),
    ]
