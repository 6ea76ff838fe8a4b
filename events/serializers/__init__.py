"""Every serializer of the API: `read` (what the API returns: compact references, list rows,
details) and `write` (what editors send). Import them from here."""

from .read import *  # noqa: F403
from .write import *  # noqa: F403
