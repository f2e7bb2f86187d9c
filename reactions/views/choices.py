"""One settings form of a page that holds several (language, phone number, channels): unbound unless its own
POST came in; on a valid POST of it, the choice saved and a redirect back to the page.

Each returns (form, response): the response is the redirect when the choice was saved, else None.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from reactions import services
from reactions.forms.accounts import ChannelsForm, LanguageForm, PhoneForm
from reactions.models import User


def language_choice(request: HttpRequest) -> tuple[LanguageForm, HttpResponse | None]:
    """The signed-in user's language."""
    if request.method != "POST" or "language" not in request.POST:
        return LanguageForm(instance=request.user), None
    form = LanguageForm(request.POST, instance=request.user)
    if not form.is_valid():
        return form, None
    services.accounts.user_set_language(user=request.user, language=form.cleaned_data["language"])
    # Say it in the language just chosen (or the browser's, for "Browser's language").
    with translation.override(request.user.language or translation.get_language_from_request(request)):
        messages.success(request, _("Your language is saved."))
    return form, redirect(request.path)


def phone_choice(
    request: HttpRequest, *, form_class: type[PhoneForm] = PhoneForm
) -> tuple[PhoneForm, HttpResponse | None]:
    """The signed-in user's phone number."""
    if request.method != "POST" or "phone" not in request.POST:
        return form_class(initial={"phone": request.user.phone}), None
    form = form_class(request.POST)
    if not form.is_valid():
        return form, None
    services.accounts.user_set_phone(user=request.user, phone=form.cleaned_data["phone"])
    messages.success(request, _("Your phone number is saved."))
    return form, redirect(request.path)


def channels_choice(request: HttpRequest, user: User) -> tuple[ChannelsForm, HttpResponse | None]:
    """How `user` (a patient, or a caregiver for their copies) gets follow-up messages."""
    form = ChannelsForm(request.POST if "channels" in request.POST else None, user=user)
    if not (form.is_bound and form.is_valid()):
        return form, None
    services.accounts.user_channels_set(
        user=user, notify_email=form.cleaned_data["notify_email"], notify_sms=form.cleaned_data["notify_sms"]
    )
    messages.success(request, _("How we send your follow-up messages is saved."))
    return form, redirect(request.path)
