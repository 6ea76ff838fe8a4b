"""Request rates, read from settings.THROTTLE_RATES when a request comes in (so tests and
deployments can change them), counted in the default cache (Redis when REDIS_URL is set).

Each throttle counts a client's requests in fixed windows of the rate's period (a minute for
"300/min") with one atomic increment (a Lua script): one round trip to Redis per request. DRF's
own throttles keep a list of request times that they read and write back, two round trips, and
two requests at once can both read the old list and pass; the window counter cannot be raced
that way. A client
may spend its rate at the end of one window and again at the start of the next (at most twice the
rate within one period), the usual price of a window counter.
"""

import hashlib
import math
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import NoScriptError
from rest_framework import throttling

# INCR, and the expiry given by the increment that creates the counter: one command, run
# atomically by Redis (an INCR and an EXPIRE sent apart could leave, if the client died between
# them, a counter that never expires).
COUNT_SCRIPT = (
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
    "return n"
)
COUNT_SCRIPT_SHA = hashlib.sha1(COUNT_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis's name


def count_request(key: str, seconds: int) -> int:
    """Add one to the counter `key`, created for `seconds` if it is new; its new value.

    With django-redis: one EVALSHA of COUNT_SCRIPT, one round trip (EVAL the first time a Redis
    server sees it, which keeps it for the EVALSHAs after). It replaced a pipelined SET NX and
    INCR, whose pipeline cost redis-py twice the Python of one command. With another cache
    (process memory): add, then incr."""
    client = getattr(cache, "client", None)
    if client is not None and hasattr(client, "get_client"):  # django-redis
        redis_key = client.make_key(key)
        redis = client.get_client(write=True)
        try:
            return int(redis.execute_command("EVALSHA", COUNT_SCRIPT_SHA, 1, redis_key, seconds))
        except NoScriptError:
            return int(redis.execute_command("EVAL", COUNT_SCRIPT, 1, redis_key, seconds))
    for _ in range(3):
        cache.add(key, 0, seconds)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr: add it again
            continue
    raise RuntimeError(f"the cache lost the throttle counter {key!r} three times in a row")


class _WindowRate:
    """DRF's SimpleRateThrottle interface, counted in fixed windows (see the module's doc)."""

    timer: Any
    num_requests: int
    duration: int
    rate: str | None

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

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.retry_after = math.ceil((window + 1) * self.duration - now)
        # The counter outlives its window by a second, so a late request never restarts it.
        return count_request(f"{key}:{window}", self.duration + 1) <= self.num_requests

    def wait(self) -> float:
        return max(1, self.retry_after)


class AnonymousRateThrottle(_WindowRate, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_WindowRate, throttling.UserRateThrottle):
    """Authenticated users, per user. An anonymous client is counted by AnonymousRateThrottle
    alone (DRF's UserRateThrottle would count it a second time, by address)."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class AuthRateThrottle(_WindowRate, throttling.SimpleRateThrottle):
    """Token and login endpoints: a strict rate per client address, whoever claims to log in."""

    scope = "auth"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
