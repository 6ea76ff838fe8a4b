"""Request rates, read from settings.THROTTLE_RATES when a request comes in (so tests and
deployments can change them), counted in the default cache (Redis when REDIS_URL is set)."""

from typing import Any

from django.conf import settings
from rest_framework import throttling


class _SettingsRate:
    def get_rate(self) -> str:
        rate: str = settings.THROTTLE_RATES[getattr(self, "scope")]  # noqa: B009
        return rate

    def get_ident(self, request: Any) -> str:
        """The client's address: the socket's peer, unless the operator declared
        settings.NUM_PROXIES trusted proxies in front, in which case the address the outermost
        of them saw (the NUM_PROXIES-th entry of X-Forwarded-For from the right; entries to
        its left are the client's to write and are never read).

        DRF's own get_ident trusts the whole header when NUM_PROXIES is unset, so a client
        could reset its rate by writing a new X-Forwarded-For on each request."""
        remote_addr: str = request.META.get("REMOTE_ADDR", "")
        proxies: int = settings.NUM_PROXIES
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
        if proxies < 1 or not forwarded:
            return remote_addr
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(proxies, len(addresses))] or remote_addr


class AnonymousRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    pass


class AuthRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Token and login endpoints: a strict rate per client address, whoever claims to log in."""

    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
