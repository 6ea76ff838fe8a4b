"""Database constraints that report a violation under the field they guard.

Django's CheckConstraint and multi-field UniqueConstraint raise non-field errors during model
validation. These subclasses keep the rule in one place (the database constraint, which
`Model.full_clean()` also evaluates through `validate_constraints()`) while naming the field in
the error, so the admin, the API and any importer show "end_date: ..." instead of a bare
"Constraint ... is violated.".
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.utils import DEFAULT_DB_ALIAS


class _FieldAttributedMixin:
    field: str

    def __init__(self, *args: Any, field: str, **kwargs: Any) -> None:
        self.field = field
        super().__init__(*args, **kwargs)

    def validate(
        self,
        model: type[models.Model],
        instance: models.Model,
        exclude: set[str] | None = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        try:
            super().validate(model, instance, exclude=exclude, using=using)  # type: ignore[misc]
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other: object) -> bool:
        same = super().__eq__(other)
        if same is NotImplemented or not same:
            return same
        return getattr(other, "field", None) == self.field


class FieldCheckConstraint(_FieldAttributedMixin, models.CheckConstraint):
    """A CheckConstraint whose violation is reported under `field`."""


class FieldUniqueConstraint(_FieldAttributedMixin, models.UniqueConstraint):
    """A UniqueConstraint whose violation is reported under `field`."""
