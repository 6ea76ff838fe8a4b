"""URLs of API v1, mounted at /api/v1/ under the namespace "api"."""

from typing import Any

from django.urls import path, register_converter
from django.views import View
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.exceptions import ValidationError
from rest_framework.routers import SimpleRouter

from . import views

app_name = "api"


class CountryCodeConverter:
    """A country's code in a path (`countries/PK/events/`): two letters, in either case, as the
    country detail's own lookup; anything else (a NUL included) is a 404 before any query."""

    regex = "[A-Za-z]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CountryCodeConverter, "iso2")


class PageOptions:
    """`OPTIONS` on the schema and documentation pages: the methods allowed, as any Django
    view answers it. DRF's answer describes a view with its renderers, and the Swagger and
    ReDoc renderers are HTML templates that need data the description lacks (a 500)."""

    def options(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = View.options(self, request, *args, **kwargs)  # type: ignore[arg-type]
        del response["Content-Type"]  # no body, so no type (Django's default says text/html)
        return response


class SchemaView(PageOptions, SpectacularAPIView):
    """The schema takes one parameter, `format` (`json` or `yaml`), at most once: anything
    else is a 400 naming it, as on every other endpoint (it was ignored, or one `format` of
    two kept)."""

    @extend_schema(exclude=True)  # the schema does not describe itself
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        params = request.query_params
        errors = {
            name: (
                ["Given more than once: give it once."]
                if len(params.getlist(name)) > 1
                else ["Unknown parameter: the schema takes only `format` (json or yaml)."]
            )
            for name in params
            if name != "format" or len(params.getlist(name)) > 1
        }
        if errors:
            raise ValidationError(errors)
        return super().get(request, *args, **kwargs)


class SwaggerView(PageOptions, SpectacularSwaggerView):
    pass


class RedocView(PageOptions, SpectacularRedocView):
    pass


router = SimpleRouter()
router.register("events", views.EventViewSet, basename="event")
router.register("participants", views.ParticipantViewSet, basename="participant")
router.register("countries", views.CountryViewSet, basename="country")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("tariff-measures", views.TariffMeasureViewSet, basename="tariffmeasure")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("sources", views.SourceViewSet, basename="source")

LIST: dict[str, Any] = {"get": "list"}

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path(
        "participants/<slug:slug>/events/",
        views.ParticipantEventsView.as_view(LIST),
        name="participant-events",
    ),
    path("topics/<slug:slug>/events/", views.TopicEventsView.as_view(LIST), name="topic-events"),
    path(
        "countries/<iso2:iso2>/events/",
        views.CountryEventsView.as_view(LIST),
        name="country-events",
    ),
    path(
        "countries/<iso2:iso2>/imposed-tariff-measures/",
        views.CountryImposedMeasuresView.as_view(LIST),
        name="country-imposed-measures",
    ),
    path(
        "countries/<iso2:iso2>/applicable-tariff-measures/",
        views.CountryApplicableMeasuresView.as_view(LIST),
        name="country-applicable-measures",
    ),
    *router.urls,
    path("changes/", views.ChangeFeedView.as_view(), name="changes"),
    path("vocabularies/", views.VocabulariesView.as_view(), name="vocabularies"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="swagger-ui"),
    path(
        "redoc/",
        # Spectacular's own template loads web fonts from Google; this one loads nothing from
        # another host.
        RedocView.as_view(url_name="api:schema", template_name="policyapi/redoc.html"),
        name="redoc",
    ),
]
