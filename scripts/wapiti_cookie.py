"""Write a wapiti cookie file holding a signed-in session for one demo user.

Run through `manage.py shell`: EMAIL and COOKIE_FILE come from the environment. Clinic
staff also get a confirmed TOTP device and a verified session, so the scanner reaches the
pages behind two-factor sign-in.
"""

import json
import os

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from reactions.models import User

user = User.objects.get(email=os.environ["EMAIL"])
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
if user.is_clinic_staff:
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="wapiti", defaults={"confirmed": True})
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.create()
cookie = {"value": session.session_key, "expires": None, "secure": False, "port": None, "version": 0}
with open(os.environ["COOKIE_FILE"], "w") as handle:
    json.dump({"127.0.0.1": {"/": {settings.SESSION_COOKIE_NAME: cookie}}}, handle)
