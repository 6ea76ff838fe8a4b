"""Who may do what: reads are public, writes need the model's Django permission."""

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request


class ModelPermissionsOrReadOnly(permissions.DjangoModelPermissions):
    """GET, HEAD and OPTIONS for anyone; POST needs `add_<model>`, PUT and PATCH
    `change_<model>`, DELETE `delete_<model>` (the `editors` group has all three).

    Reads return before the view's queryset is built: DRF's own OrAnonReadOnly class builds it
    to find the model even for a read, which costs a nested list its parent lookup twice.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        # A method the resource lacks is a 405 for everyone, not a 401 or 403 that invites
        # a client to log in and try again (DRF checks permissions before the method).
        method = (request.method or "").lower()
        if method not in view.http_method_names or not hasattr(view, method):
            raise exceptions.MethodNotAllowed(request.method or "")
        return super().has_permission(request, view)
