"""Root URL configuration: the API under /api/v1/, the admin, login pages and health checks."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from events import views

urlpatterns = [
    path("api/v1/", include("events.urls")),
    # Any other URL under /api/ that ends in a slash: a problem+json 404, DEBUG or not.
    # (Without the slash, CommonMiddleware first redirects to the slashed form.)
    re_path(r"^api/.*/$", views.api_not_found),
    # Login pages answer 429 once a client has tried too often (THROTTLE_AUTH_RATE).
    path("admin/login/", views.throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    # Log in to the browsable API and Swagger UI's "Try it out" (session and CSRF). The
    # "rest_framework" namespace is where the browsable API looks for its login link.
    path(
        "auth/",
        include(
            (
                [
                    path(
                        "login/",
                        views.throttled_login(
                            auth_views.LoginView.as_view(template_name="rest_framework/login.html")
                        ),
                        name="login",
                    ),
                    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
                ],
                "rest_framework",
            )
        ),
    ),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", views.site_root),
]

handler400 = "events.problems.bad_request"
handler403 = "events.problems.permission_denied"
handler404 = "events.problems.page_not_found"
handler500 = "events.problems.server_error"
