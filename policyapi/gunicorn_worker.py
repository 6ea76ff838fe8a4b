"""gunicorn's gthread worker, answering the requests it refuses itself as problem details.

gunicorn reads the request line and the headers before Django sees anything. What it cannot
parse or will not accept (a request line over `limit_request_line`, too many or too large
headers, raw non-ASCII bytes in the target, a malformed header, an unknown HTTP version) it
answers on its own, with an HTML page (gunicorn/workers/base.py, `Worker.handle_error`). The API
promises problem+json for every error, so this worker writes the same status gunicorn chooses
with an `application/problem+json` body in the service's shape (events/problems.py), and logs
as gunicorn does. policyapi/gunicorn.py selects it.
"""

import json
from http import HTTPStatus
from ssl import SSLError
from typing import Any

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.gthread import ThreadWorker

REQUEST_LINE = (
    "The request line is malformed: it must be `METHOD target HTTP/1.1`, with the target in "
    "printable ASCII (percent-encode any other byte, as RFC 3986 says)."
)
HEADER = (
    "A header field is malformed: `Name: value` on one line, the name a token (letters, digits "
    "and !#$%&'*+-.^_`|~), the value without control characters."
)
CHUNKED = "The chunked request body is malformed."

# The status gunicorn gives each error it raises before the application (the same choices as
# Worker.handle_error, in the same order: a subclass before its base), and what the client can
# do about it. `{line}`, `{fields}` and `{field_size}` are the configured limits.
# The response-header errors subclass the request-header ones but are the application's fault.
SERVER_FAULTS = (errors.InvalidResponseHeader, errors.InvalidResponseHeaderName)
CLIENT_ERRORS: tuple[
    tuple[type[BaseException] | tuple[type[BaseException], ...], int, str], ...
] = (
    (
        errors.LimitRequestLine,
        414,
        "The request line (method, path and query string) is longer than this server accepts "
        "({line} bytes). Send fewer values per filter and combine the results: the values of "
        "one parameter are alternatives (OR), so they can be split over several requests.",
    ),
    (
        errors.LimitRequestHeaders,
        431,
        "The request has too many header fields (at most {fields}) or one that is too large "
        "(at most {field_size} bytes).",
    ),
    (errors.InvalidRequestLine, 400, REQUEST_LINE),
    (errors.InvalidRequestMethod, 400, "The request method is not a valid HTTP method."),
    (
        errors.InvalidHTTPVersion,
        400,
        "The HTTP version is malformed or not supported: this server speaks HTTP/1.0 and 1.1.",
    ),
    ((errors.InvalidHeader, errors.InvalidHeaderName, errors.ObsoleteFolding), 400, HEADER),
    (
        errors.UnsupportedTransferCoding,
        501,
        "The request's Transfer-Encoding is not supported: send `chunked` or a Content-Length.",
    ),
    (
        errors.ExpectationFailed,
        417,
        "The request's Expect header cannot be met (only `100-continue` is).",
    ),
    (
        (errors.InvalidChunkSize, errors.ChunkMissingTerminator, errors.InvalidChunkExtension),
        400,
        CHUNKED,
    ),
    (errors.InvalidProxyLine, 400, "The PROXY protocol line is malformed."),
    (errors.ForbiddenProxyRequest, 403, "PROXY protocol requests are not allowed from here."),
    (errors.InvalidSchemeHeaders, 400, "The request's scheme headers contradict each other."),
    (errors.InvalidH2CPreface, 400, "The HTTP/2 connection preface is malformed."),
    (SSLError, 403, "The TLS handshake failed."),
    (errors.ConfigurationProblem, 500, "The server is misconfigured; the error has been logged."),
)
SERVER_ERROR = "The server failed to answer this request; the error has been logged."


def client_error(exc: BaseException) -> tuple[int, str] | None:
    """The status and detail (with the limits unfilled) for an error the client caused, or None
    for one of the server's own making."""
    if isinstance(exc, SERVER_FAULTS):
        return None
    for kinds, status, detail in CLIENT_ERRORS:
        if isinstance(exc, kinds):
            return status, detail
    return None


def problem_response(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 response (the connection is closed after it) with a problem body."""
    # Imported here, not at the top: gunicorn's master imports this module before Django is
    # set up; a worker loads the application (and so Django) before it reads any request.
    from events.problems import PROBLEM_CONTENT_TYPE, problem

    body = json.dumps(problem(status, detail)).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"Content-Type: {PROBLEM_CONTENT_TYPE}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class ProblemThreadWorker(ThreadWorker):
    """The gthread worker; only the answer to a request it refuses differs."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        addr = addr or ("", -1)  # a Unix socket has no address
        known = client_error(exc)
        if known is None:
            if hasattr(req, "uri"):
                self.log.exception("Error handling request %s %s", req.method, req.uri)
            else:
                self.log.exception("Error handling request (no URI read)")
            status, detail = 500, SERVER_ERROR
        else:
            self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
            status, template = known
            detail = template.format(
                line=self.cfg.limit_request_line,
                fields=self.cfg.limit_request_fields,
                field_size=self.cfg.limit_request_field_size,
            )
        # No access-log line: policyapi/gunicorn.py turns gunicorn's access log off (the
        # application logs its requests, and this one never reached it; the warning above is
        # its trace).
        try:
            util.write_nonblock(client, problem_response(status, detail))
        except Exception:
            self.log.debug("Failed to send error message.")
