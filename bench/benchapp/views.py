from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from madoguchi.core.access import public

from .models import BenchRow


@public
@csrf_exempt
def insert(request):
    BenchRow.objects.create(value="x")
    return HttpResponse("ok")
