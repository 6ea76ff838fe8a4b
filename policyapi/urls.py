"""Root URL configuration."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Until the JSON API lands, the admin is what the service has to show.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
