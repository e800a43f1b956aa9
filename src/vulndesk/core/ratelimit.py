"""Fixed-window rate limits kept in Django's cache.

The embedded default cache is local memory, so each web process counts on its own; with several
processes or hosts, point VULNDESK_CACHE_URL at Redis so they share one count (README).
"""

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest

from vulndesk.core.errors import RateLimited


def count_attempt(scope: str, key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt of `scope` by `key`; raise RateLimited once more than `limit` fall in one window.

    Attempts are counted before the work is done, so a flood of invalid requests is limited too.
    """
    now = int(time.time())
    window = now // window_seconds
    # Hash the key: cache keys must be short and safe, and IPs or emails need not sit in the cache.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    try:
        attempts = cache.incr(cache_key)
    except ValueError:  # the entry expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds + 1)
        attempts = 1
    if attempts > limit:
        raise RateLimited(message, retry_after=window_seconds - now % window_seconds)


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the web server saw it (the proxy must pass the real one as REMOTE_ADDR)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")
