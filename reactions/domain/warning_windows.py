"""What each follow-up prompt tells the patient to watch for: the warning signs of its own window.

Pure Python, no database (docs/clinical-facts.md §2, docs/clinical-safety.md H-17). A prompt's offset
after the infusion ends decides its window; each window names, in plain words, the signs that come in
it, split by the number to call (the same tiers as the triage table in rules.py: an emergency sign calls
the emergency number, an urgent one the clinic today).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from reactions.domain.catalogue import StrOrPromise
from reactions.domain.tiers import Tier


@dataclass(frozen=True, slots=True)
class Sign:
    words: StrOrPromise  # as the patient would say it
    tier: Tier  # the tier the triage table gives it (rules.py): whom to call
    codes: tuple[str, ...]  # the catalogue's symptoms it stands for (a test holds the tier to the table's)


@dataclass(frozen=True, slots=True)
class WarningWindow:
    key: str
    up_to_hours: int | None  # the last offset (inclusive) of this window; None: every later offset
    title: StrOrPromise
    signs: tuple[Sign, ...]

    @property
    def emergency_signs(self) -> tuple[StrOrPromise, ...]:
        return tuple(sign.words for sign in self.signs if sign.tier == Tier.EMERGENCY)

    @property
    def urgent_signs(self) -> tuple[StrOrPromise, ...]:
        return tuple(sign.words for sign in self.signs if sign.tier == Tier.URGENT)


# The table, earliest window first. The bounds: allergic reactions and lung injury come in the first
# hours (within 6 h); aseptic meningitis and kidney injury in 1-3 days (up to 4 days); clots up to two
# weeks and haemolysis up to ten days after (docs/clinical-facts.md [6, 7, 9, 12]).
WINDOWS: tuple[WarningWindow, ...] = (
    WarningWindow(
        key="first_hours",
        up_to_hours=12,
        title=_("What to watch for in the first hours after your infusion"),
        signs=(
            Sign(_("trouble breathing"), Tier.EMERGENCY, ("breathing_trouble",)),
            Sign(_("swelling of your face, lips or throat"), Tier.EMERGENCY, ("throat_swelling",)),
            Sign(_("a rash or hives over much of your body"), Tier.URGENT, ("widespread_hives",)),
        ),
    ),
    WarningWindow(
        key="first_days",
        up_to_hours=96,
        title=_("What to watch for in the first days after your infusion"),
        signs=(
            Sign(
                _("a bad headache with a stiff neck, or light hurting your eyes"),
                Tier.URGENT,
                ("headache_stiff_neck", "light_hurts_eyes"),
            ),
            Sign(_("passing little or no urine"), Tier.URGENT, ("less_urine",)),
        ),
    ),
    WarningWindow(
        key="first_weeks",
        up_to_hours=None,
        title=_("What to watch for up to two weeks after your infusion"),
        signs=(
            Sign(_("chest pain, or sudden breathlessness"), Tier.EMERGENCY, ("chest_pain", "sudden_breathless")),
            Sign(_("a swollen, painful leg or arm"), Tier.URGENT, ("painful_swollen_limb",)),
            Sign(_("dark urine, or yellow eyes or skin"), Tier.URGENT, ("dark_urine", "yellow_skin_eyes")),
        ),
    ),
)


def warning_window(offset_hours: int) -> WarningWindow:
    """The window of a prompt sent this many hours after the infusion ended (each bound belongs to the
    earlier window: a +12 h prompt still names the first hours' signs)."""
    if offset_hours < 0:
        raise ValueError(f"a prompt comes after the infusion, not {offset_hours} h before")
    for window in WINDOWS:
        if window.up_to_hours is None or offset_hours <= window.up_to_hours:
            return window
    raise AssertionError("the last window has no bound")  # pragma: no cover: the table ends unbounded
