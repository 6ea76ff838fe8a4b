"""Django's PostgreSQL backend, with pooled connections checked without a round trip.

Django checks a connection leaving its psycopg pool (CONN_HEALTH_CHECKS) with an empty query:
one more round trip to the server on every request, for an event that happens on a restart.
And when the server has closed the pool's idle connections, psycopg_pool's check loop sleeps
one second, then two, before each next try: the first request after a restart waited the
pool's whole timeout and failed (503) although fresh connections could have been made at once.

Here a connection leaving the pool is checked by its socket instead: a server that closes a
connection (a restart, pg_terminate_backend, an idle timeout) sends an error and ends the stream,
so the socket has something to read although no query is waiting for an answer. Only then is
the empty query sent to tell (a notice would pass it); a closed connection goes back to the
pool, which replaces it in the background, and the next one is taken at once. A connection whose
server vanished without a word (a cut cable) passes, as it passed the empty query's check only
to fail the next query: the request then gets 503 and the connection is dropped
(events/problems.py).
"""

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg import pq
from psycopg_pool import ConnectionPool

# A readable socket, a hang-up or an error: something the server sent unasked.
_EVENTS = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def usable(connection: Any) -> bool:
    """Whether a connection taken from the pool can run a query (see the module's doc)."""
    if connection.closed or connection.pgconn.status != pq.ConnStatus.OK:
        return False
    poller = select.poll()
    poller.register(connection.fileno(), _EVENTS)
    if not poller.poll(0):
        return True  # nothing arrived: the server has not closed it
    try:
        ConnectionPool.check_connection(connection)  # reads what arrived: an error raises
    except Exception:  # whatever it is, the connection is not usable
        return False
    return True


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        pool = getattr(self, "pool", None)  # Django's pool (not in django-stubs)
        if pool is None:
            return connection
        # Every connection of a full pool may be closed (a restart): at most that many tries,
        # then the pool's new connections (or its timeout, while the server is still away).
        for _ in range(pool.max_size):
            if usable(connection):
                return connection
            connection.close()
            pool.putconn(connection)  # a closed connection is replaced, not kept
            connection = super().get_new_connection(conn_params)
        return connection
