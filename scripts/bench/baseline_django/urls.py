"""The URLs of baseline (a): the paths `make bench` requests, one plain view each."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/v1/events/", views.events),
    path("api/v1/events/stats/", views.stats),
    path("api/v1/events/<slug:slug>/", views.event),
    path("api/v1/tariff-measures/", views.tariff_measures),
]
