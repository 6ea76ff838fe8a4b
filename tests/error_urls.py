"""A URLconf for tests: the real site, plus API views that fail in each way an API can."""

from typing import Any

from django.urls import path
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policyapi.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


class Raising(APIView):
    """GET raises the exception the URL names; POST parses a JSON body (415 on anything else)."""

    parser_classes = [JSONParser]
    permission_classes = [AllowAny]
    failures: dict[str, Exception] = {
        "401": exceptions.NotAuthenticated(),
        "403": exceptions.PermissionDenied(),
        "429": exceptions.Throttled(wait=12.2),
        "500": RuntimeError("boom: secret internals"),
    }

    def get_authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'

    def get(self, request: Request, failure: str) -> Response:
        raise self.failures[failure]

    def post(self, request: Request, failure: str) -> Response:
        return Response(request.data)


def plain_django_failure(request: Any) -> Any:
    raise RuntimeError("boom outside DRF")


urlpatterns = [
    path("api/test/fail/<str:failure>/", Raising.as_view()),
    path("api/test/plain-failure/", plain_django_failure),
    *urlpatterns,
]
