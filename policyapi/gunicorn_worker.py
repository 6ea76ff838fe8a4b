"""gunicorn's gthread worker, answering the requests it refuses itself as problem details.

gunicorn reads the request line and the headers before Django sees anything. What it cannot
parse or will not accept (a request line over `limit_request_line`, too many or too large
headers, raw non-ASCII bytes in the target, a malformed header, an unknown HTTP version) it
answers on its own, with an HTML page (gunicorn/workers/base.py, `Worker.handle_error`). The API
promises problem+json for every error, so this worker writes the same status gunicorn chooses
with an `application/problem+json` body in the service's shape (events/problems.py), and logs
as gunicorn does. It also refuses, the same way, what gunicorn's parser lets through but the API
cannot answer (`refusal`: an HTTP/1.9 request, a gzip-coded body, CONNECT), and answers
`OPTIONS *` itself. policyapi/gunicorn.py selects it.
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
FRAMING = (
    "The request body's length cannot be told (RFC 9112, section 6): send one Content-Length "
    "(a whole number), or `Transfer-Encoding: chunked` in HTTP/1.1 with `chunked` last and "
    "once, never both."
)
UNSUPPORTED_CODING = (
    "The request's Transfer-Encoding is not supported: this server decodes `chunked` only; "
    "send the body without another coding (gzip, ...), chunked or with a Content-Length."
)


class MethodNotImplemented(Exception):
    """CONNECT: this server is no proxy, and Django cannot route its `host:port` target."""


def refusal(req: Any) -> BaseException | None:
    """What gunicorn's parser lets through that this server refuses before Django: an HTTP/1
    version other than 1.0 and 1.1 (gunicorn answers `HTTP/1.9 200 OK`), a transfer coding
    beside `chunked` that nothing decodes (`gzip, chunked`: the application would read the
    compressed bytes as the body), and CONNECT."""
    if req.version not in ((1, 0), (1, 1)):
        return errors.InvalidHTTPVersion(req.version)
    for name, value in req.headers:
        if name == "TRANSFER-ENCODING" and any(
            coding.strip(" \t").lower() != "chunked" for coding in value.split(",")
        ):
            return errors.UnsupportedTransferCoding(value)
    if req.method == "CONNECT":
        return MethodNotImplemented(req.method)
    return None


# The API's methods, for `OPTIONS *` (a question about the server, not about a resource).
ALLOW = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE"

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
    (errors.UnsupportedTransferCoding, 501, UNSUPPORTED_CODING),
    (MethodNotImplemented, 501, "CONNECT is not implemented: this server is not a proxy."),
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
    # RFC 9112 section 6.3: a Transfer-Encoding that does not end with chunked leaves the body's
    # length unknown, a 400 whatever its codings (gunicorn raises 501 for one it does not know,
    # a malformed header for the rest); so are chunked twice, in HTTP/1.0, or beside a
    # Content-Length, and a malformed Content-Length.
    if isinstance(exc, errors.UnsupportedTransferCoding) and (
        exc.hdr.rpartition(",")[2].strip(" \t").lower() != "chunked"
    ):
        return 400, FRAMING
    if isinstance(exc, errors.InvalidHeader) and exc.hdr in ("TRANSFER-ENCODING", "CONTENT-LENGTH"):
        return 400, FRAMING
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


def options_response() -> bytes:
    """The answer to `OPTIONS *`: the methods the server supports, no body."""
    return (
        f"HTTP/1.1 200 OK\r\nAllow: {ALLOW}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


class ProblemThreadWorker(ThreadWorker):
    """The gthread worker; only the answer to a request it refuses differs."""

    def handle_request(self, req: Any, conn: Any) -> bool:
        refused = refusal(req)
        if refused is not None:
            raise refused  # answered by handle_error, as gunicorn's own refusals
        if req.uri == "*":  # gunicorn allows it with OPTIONS only
            util.write_nonblock(conn.sock, options_response())
            return False
        return bool(super().handle_request(req, conn))

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
