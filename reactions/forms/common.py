"""What every form shares: no control characters in text, date-time pickers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DATETIME_WIDGET_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_WIDGET_FORMAT)


def _printable(value: str) -> bool:
    return all(ch.isprintable() or ch in "\r\n\t" for ch in value)


class CleanTextMixin:
    """Reject control characters in every text field: they have no place in a health record."""

    def clean(self: Any) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        for name, value in list(data.items()):
            if isinstance(value, str) and not _printable(value):
                self.add_error(name, _("Remove the invisible control characters from this text."))
        return self.cleaned_data


# Clocks on phones drift: a "given" infusion may end a few minutes "in the future".
CLOCK_SKEW = timedelta(minutes=5)
