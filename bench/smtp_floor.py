"""The SMTP floor: send prepared messages over one SMTP connection, no database, no templates.

python -m bench.smtp_floor MESSAGES.json PORT  -> prints the start time (time.time()) once the
messages are built; the bench times until the listener has them all.
"""

from __future__ import annotations

import json
import sys
import time

from django.conf import settings

settings.configure(
    EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    EMAIL_HOST="127.0.0.1",
    EMAIL_PORT=int(sys.argv[2]),
    EMAIL_TIMEOUT=20,
    DEFAULT_FROM_EMAIL="ivigtrack <noreply@ivigtrack.invalid>",
)

from django.core.mail import EmailMultiAlternatives, get_connection  # noqa: E402


def main() -> None:
    with open(sys.argv[1]) as handle:
        rows = json.load(handle)
    connection = get_connection()
    messages = []
    for row in rows:
        message = EmailMultiAlternatives(row["subject"], row["body_text"], to=[row["to_email"]], connection=connection)
        if row["body_html"]:
            message.attach_alternative(row["body_html"], "text/html")
        messages.append(message)
    started = time.time()
    connection.open()
    sent = connection.send_messages(messages)
    connection.close()
    print(started, sent, time.time() - started)


if __name__ == "__main__":
    main()
