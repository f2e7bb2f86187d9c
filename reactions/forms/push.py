"""A browser's push subscription, as the page's script posts it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reactions.domain import push


class PushSubscriptionForm(forms.Form):
    """The fields of the browser's PushSubscription.toJSON(): endpoint, keys.p256dh, keys.auth."""

    endpoint = forms.URLField(max_length=2048, assume_scheme="https")
    p256dh = forms.CharField(max_length=128)
    auth = forms.CharField(max_length=64)

    def clean_endpoint(self) -> str:
        endpoint = self.cleaned_data["endpoint"]
        if not push.endpoint_allowed(endpoint, settings.PUSH_SERVICE_HOSTS):
            raise forms.ValidationError(_("This browser's push service is not one the app can send to."))
        return endpoint

    def clean_p256dh(self) -> str:
        value = self.cleaned_data["p256dh"]
        if not push.valid_p256dh(value):
            raise forms.ValidationError(_("Not a valid key."))
        return value

    def clean_auth(self) -> str:
        value = self.cleaned_data["auth"]
        if not push.valid_auth(value):
            raise forms.ValidationError(_("Not a valid key."))
        return value
