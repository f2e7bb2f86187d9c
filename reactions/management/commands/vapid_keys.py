"""Print a new VAPID key pair for web push, to put in the production environment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reactions.channels.push import new_vapid_key_pair, vapid_public_key


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair (VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY) for web push; with --current, "
        "the public key this configuration signs with."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--current", action="store_true", help="show the public key in use instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["current"]:
            self.stdout.write(f"VAPID_PUBLIC_KEY={vapid_public_key()}")
            return
        private, public = new_vapid_key_pair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}")
        self.stderr.write(
            "Keep VAPID_PRIVATE_KEY secret and the same on every machine: changing it makes every "
            "device's subscription stop working until the patient turns notifications on again."
        )
