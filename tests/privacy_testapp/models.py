from datetime import timedelta

from django.db import models

from madoguchi.privacy.fields import BlindIndexField, EncryptedJSONField, EncryptedTextField, MyNumberField
from madoguchi.privacy.registry import Retention, personal_data_file


@personal_data_file(
    name="試験用住民ファイル", department="kaigo-hoken", purpose="試験のため", items=("氏名", "個人番号", "健康状態"),
    subjects="試験用の住民", sources="試験", sensitive=True,
    retention=Retention(
        period="作成から30日",
        expired=lambda now: Resident.objects.filter(created_at__lt=now - timedelta(days=30)),
        expiry_of=lambda r: r.created_at + timedelta(days=30),
    ),
)  # fmt: skip
class Resident(models.Model):
    department = models.ForeignKey("organisations.Department", on_delete=models.PROTECT)
    name = EncryptedTextField()
    my_number = MyNumberField(index_field="my_number_index", null=True, blank=True)
    my_number_index = BlindIndexField()
    affair = models.CharField(max_length=200)
    health = EncryptedJSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"resident #{self.pk}"
