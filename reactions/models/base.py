"""What every model of the app shares."""

from __future__ import annotations

import functools
from typing import Any

from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import translation

from reactions.domain import catalogue


@functools.cache
def _choice_labels(field: models.Field, language: str | None) -> dict[Any, str]:
    with translation.override(language):
        return {value: str(label) for value, label in field.flatchoices}


class ChoiceLabels(models.Model):
    """get_FOO_display() that translates each field's labels once per language, not on every call.

    Django's own builds a dict of every (value, label) pair on each call, hashing each lazily
    translated label, i.e. translating every choice to show one: a page of a hundred rows did
    thousands of translations. Here the labels are translated once per field, language and process.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> Any:  # noqa: N802 - Django's name
        value = getattr(self, field.attname)
        try:
            return _choice_labels(field, translation.get_language()).get(value, value)
        except TypeError:  # an unhashable value: Django's own handles it
            return super()._get_FIELD_display(field)


@receiver(setting_changed)
def _forget_translated_labels(*, setting: str, **kwargs: Any) -> None:
    """Tests that change the languages or catalogues must not see labels translated before."""
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):
        _choice_labels.cache_clear()
        catalogue._translated.cache_clear()
