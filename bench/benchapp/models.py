from django.db import models

from madoguchi.privacy.registry import no_personal_data


class BenchRow(models.Model):
    """The bare view's one row: the floor the full submit path is compared with."""

    created_at = models.DateTimeField(auto_now_add=True)
    value = models.CharField(max_length=40)

    def __str__(self) -> str:
        return self.value


no_personal_data("benchapp.benchrow", "benchmark rows")
