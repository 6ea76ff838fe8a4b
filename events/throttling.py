"""Request rates, read from settings.THROTTLE_RATES when a request comes in (so tests and
deployments can change them), counted in the default cache (Redis when REDIS_URL is set)."""

from typing import Any

from django.conf import settings
from rest_framework import throttling


class _SettingsRate:
    def get_rate(self) -> str:
        rate: str = settings.THROTTLE_RATES[getattr(self, "scope")]  # noqa: B009
        return rate


class AnonymousRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    pass


class AuthRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Token and login endpoints: a strict rate per client address, whoever claims to log in."""

    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
