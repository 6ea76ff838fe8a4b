"""Root URL configuration: the API under /api/v1/, the admin, and health checks."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from events import views

urlpatterns = [
    path("api/v1/", include("events.urls")),
    # Any other URL under /api/ that ends in a slash: a problem+json 404, DEBUG or not.
    # (Without the slash, CommonMiddleware first redirects to the slashed form.)
    re_path(r"^api/.*/$", views.api_not_found),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", RedirectView.as_view(pattern_name="api:root", permanent=False)),
]

handler400 = "events.problems.bad_request"
handler403 = "events.problems.permission_denied"
handler404 = "events.problems.page_not_found"
handler500 = "events.problems.server_error"
