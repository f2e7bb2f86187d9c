"""Fill PostgreSQL with a large clinic network, fast: PostgreSQL COPY straight into the tables.

The network grows by clinics, each of the same realistic size (what one MS infusion centre
has after a year): 100 patients, 3 clinicians and an admin, 12 monthly infusions per patient
(1,200), 10,000 reaction reports with 15,000 symptoms, 50 open flags (10 severe events, 30
review flags, 10 no-response) and 100 closed ones, and 10,000 follow-up rows. 100 clinics
(scale 100) are the full network: 10,000 patients, 120,000 infusions, 1,000,000 reports,
5,000 open flags and 1,000,000 follow-ups.

Every row satisfies the constraints of reactions/models/ (the database checks them on COPY).
Ids are allocated above the current maximum and the sequences are moved past them, so the
generator appends clinics to what is there: scale 1, then grow to 10, then to 100.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

from reactions.domain import contacts, triage
from reactions.models import Clinic, Flag, FollowUp, Infusion, ReactionReport, ReportedSymptom, User

PATIENTS_PER_CLINIC = 100
INFUSIONS_PER_PATIENT = 12
REPORTS_PER_CLINIC = 10_000
FOLLOWUPS_PER_CLINIC = 10_000
OPEN_SEVERE, OPEN_REVIEW, OPEN_NO_RESPONSE, CLOSED_REVIEW = 10, 30, 10, 100
PASSWORD = "bench-password-2026"

PRODUCTS = ["privigen", "gamunex_c", "octagam", "gammagard", "flebogamma", "panzyga", "intratect", "gammaplex"]
MILD = ["headache", "fever", "chills", "fatigue", "nausea", "muscle_aches", "rash"]
GRADES = [
    "mild",
    "moderate",
    "mild",
    "moderate",
    "severe",
]  # "severe" on a mild symptom opens no flag unless flagged below
ONSETS = ["during", "within_1h", "1_6h", "6_24h", "1_3d"]
# Prompt offsets (hours): the clinic's four plus denser ones, so that every infusion has 8 (some 9) rows.
OFFSETS = [2, 6, 12, 24, 48, 72, 120, 168]
EXTRA_OFFSET = 240


def _symptom_rows(n: int, kind: str) -> list[tuple[str, str]]:
    """The (code, grade) pairs of the n-th report: a severe event, a report for review, or a plain one."""
    if kind == "severe":
        return [("chest_pain", "severe")]  # an emergency sign
    if kind:
        return [("headache", "severe")]  # routine, for review: a common symptom graded severe
    rows = [(MILD[n % 7], GRADES[n % 4])]
    if n % 2:
        rows.append((MILD[(n + 3) % 7], "mild"))
    return rows


@functools.cache
def _assess_pairs(pairs: tuple[tuple[str, str], ...]) -> triage.Triage:
    return triage.assess(pairs)


def _assess(rows: list[tuple[str, str]]) -> triage.Triage:
    """The app's triage of a report's symptoms; the generator has a few dozen distinct sets."""
    return _assess_pairs(tuple(rows))


def _with_defaults(model, names: list[str], rows):
    """The columns and rows, plus every other NOT NULL column at its model default (a field added to the app
    with a default then needs nothing here; the bench broke on each new one before)."""
    named = set(names)
    missing = [
        model_field
        for model_field in model._meta.concrete_fields
        if model_field.name not in named
        and not model_field.null
        and not model_field.primary_key
        and model_field.db_default is NOT_PROVIDED  # the database fills its own defaults
    ]
    if not missing:
        return names, rows
    values = tuple(f.get_db_prep_save(f.get_default(), connection) for f in missing)
    return [*names, *(f.name for f in missing)], (tuple(row) + values for row in rows)


def copy_rows(model, names: list[str], rows) -> int:
    """COPY rows (values for the fields `names`, in order) into the model's table; how many."""
    names, rows = _with_defaults(model, names, rows)
    return _copy(model._meta.db_table, [model._meta.get_field(name).column for name in names], rows)


def _copy(table: str, columns: list[str], rows) -> int:
    n = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    return n


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def _reset_sequence(model) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
        )


@dataclass
class Network:
    """What was generated: ids the benchmarks sign in as, and row counts."""

    clinics: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    vacuum_seconds: float = 0.0  # VACUUM (ANALYZE) after the load, not part of `seconds`

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def clinic_count() -> int:
    return Clinic.objects.filter(name__startswith="Bench clinic ").count()


def grow_to(clinics: int, *, now: datetime | None = None) -> Network:
    """Add bench clinics until there are `clinics` of them; returns what this call inserted."""
    now = now or timezone.now()
    have = clinic_count()
    result = Network(clinics=clinics)
    if have >= clinics:
        return result
    started = time.perf_counter()
    password = make_password(PASSWORD)
    models = [Clinic, User, Infusion, ReactionReport, ReportedSymptom, Flag, FollowUp]
    ids = {m: _next_id(m) for m in models}
    counts = {m.__name__: 0 for m in models}
    for c in range(have, clinics):
        gen = _ClinicRows(index=c, ids=ids, now=now, password=password)
        for model, names, rows in gen.tables():
            counts[model.__name__] += copy_rows(model, names, rows)
    for m in models:
        _reset_sequence(m)
    result.rows = counts
    result.seconds = time.perf_counter() - started
    # A live database is kept vacuumed by autovacuum; after a bulk load, vacuum once (visibility map,
    # statistics) so that autovacuum does not start in the middle of the timings. Timed on its own.
    vacuum_started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    result.vacuum_seconds = time.perf_counter() - vacuum_started
    return result


class _ClinicRows:
    """The rows of one clinic, with ids taken from (and advancing) the shared counters."""

    def __init__(self, *, index: int, ids: dict, now: datetime, password: str) -> None:
        self.c, self.ids, self.now, self.password = index, ids, now, password

    def _take(self, model, n: int) -> int:
        first = self.ids[model]
        self.ids[model] = first + n
        return first

    def tables(self):
        c, now = self.c, self.now
        clinic_id = self._take(Clinic, 1)
        yield (
            Clinic,
            [
                "id",
                "name",
                "country",
                "emergency_number",
                "phone",
                "out_of_hours_phone",
                "opens_at",
                "closes_at",
                "open_days",
                "time_zone",
                "followup_offsets_hours",
                "quiet_hours_start",
                "quiet_hours_end",
                "prompt_reminder_after_hours",
                "escalation_after_minutes",
                "escalation_repeat_minutes",
                "daily_reminder_at",
                "vitals_safe_ranges",
                "created_at",
            ],
            [
                (
                    clinic_id,
                    f"Bench clinic {c + 1:03d}",
                    "GB",
                    "",
                    "+44 20 7946 0001",
                    "+44 20 7946 0000",
                    contacts.DEFAULT_OPENS_AT,
                    contacts.DEFAULT_CLOSES_AT,
                    json.dumps(list(contacts.DEFAULT_OPEN_DAYS)),
                    "Europe/London",
                    "[2, 24, 72, 168]",
                    dtime(22),
                    dtime(8),
                    24,
                    30,
                    60,
                    dtime(8),
                    '{"systolic": [90, 160], "diastolic": [50, 100], "pulse": [50, 110], "temperature": [35.5, 37.9]}',
                    now - timedelta(days=400),
                )
            ],
        )

        staff = ["clinician", "clinician", "clinician", "clinic_admin"]
        first_user = self._take(User, len(staff) + PATIENTS_PER_CLINIC)
        self.staff_ids = list(range(first_user, first_user + len(staff)))
        self.patient_ids = list(range(first_user + len(staff), first_user + len(staff) + PATIENTS_PER_CLINIC))
        user_cols = [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "email",
            "full_name",
            "role",
            "clinic",
            "time_zone",
            "is_active",
            "is_staff",
            "indication",
            "language",
            "phone",
            "followups_paused_until",
            "followups_stopped_at",
            "date_joined",
        ]

        def users():
            for k, role in enumerate(staff):
                yield (
                    first_user + k,
                    self.password,
                    None,
                    False,
                    f"staff{k}.c{c + 1}@bench.test",
                    f"Staff {k} of clinic {c + 1}",
                    role,
                    clinic_id,
                    "",
                    True,
                    False,
                    "",
                    "",
                    "",
                    None,
                    None,
                    now - timedelta(days=400),
                )
            for k, pk in enumerate(self.patient_ids):
                yield (
                    pk,
                    self.password,
                    None,
                    False,
                    f"patient{k}.c{c + 1}@bench.test",
                    f"Patient {k} of clinic {c + 1}",
                    "patient",
                    clinic_id,
                    "",
                    True,
                    False,
                    "rrms_dmt_failed",
                    "",
                    f"+447700900{k % 1000:03d}",  # Ofcom's drama range: reaches nobody
                    None,
                    None,
                    now - timedelta(days=380),
                )

        yield User, user_cols, users()

        # Infusions: monthly, the last one ended two days ago (its later prompts are still scheduled).
        n_inf = PATIENTS_PER_CLINIC * INFUSIONS_PER_PATIENT
        first_inf = self._take(Infusion, n_inf)
        self.infusions = []  # (id, patient_id, ended_at, is_last)
        inf_cols = [
            "id",
            "patient",
            "status",
            "started_at",
            "ended_at",
            "product",
            "product_other",
            "lot_number",
            "dose_grams",
            "setting",
            "premedication",
            "pre_hydrated",
            "notes",
            "logged_by",
            "created_at",
            "updated_at",
        ]

        def infusions():
            pk = first_inf
            for k, patient in enumerate(self.patient_ids):
                product = PRODUCTS[(k + c) % len(PRODUCTS)]
                for i in range(INFUSIONS_PER_PATIENT):
                    started = now - timedelta(days=28 * (INFUSIONS_PER_PATIENT - 1 - i) + 2, hours=3 + k % 5)
                    ended = started + timedelta(hours=3)
                    lot = f"{product[:2].upper()}{(i * 7 + k) % 40:04d}"
                    self.infusions.append((pk, patient, ended, i == INFUSIONS_PER_PATIENT - 1))
                    yield (
                        pk,
                        patient,
                        "given",
                        started,
                        ended,
                        product,
                        "",
                        lot,
                        35.0,
                        "clinic",
                        "",
                        k % 2 == 0,
                        "",
                        patient,
                        started,
                        started,
                    )
                    pk += 1

        yield Infusion, inf_cols, infusions()

        # Reports: 8 per infusion, 9 on every third, spread over the week after it.
        first_rep = self._take(ReactionReport, REPORTS_PER_CLINIC)
        severe_every = REPORTS_PER_CLINIC // OPEN_SEVERE
        self.reports = []  # (id, patient_id, created_at, kind) kind in {"", "severe", "review", "closed"}

        def plan_reports():
            pk = first_rep
            extra = REPORTS_PER_CLINIC - 8 * n_inf
            for j, (inf_id, patient, ended, _last) in enumerate(self.infusions):
                per = 8 + (1 if j < extra else 0)
                for r in range(per):
                    yield pk, inf_id, patient, min(ended + timedelta(hours=1 + 20 * r), now - timedelta(minutes=5))
                    pk += 1

        planned = list(plan_reports())
        kinds = {}
        for s in range(OPEN_SEVERE):
            kinds[planned[s * severe_every + 7][0]] = "severe"
        review_every = REPORTS_PER_CLINIC // (OPEN_REVIEW + CLOSED_REVIEW)
        for s in range(OPEN_REVIEW + CLOSED_REVIEW):
            at = s * review_every + 3
            while planned[at][0] in kinds:
                at += 1
            kinds[planned[at][0]] = "review" if s < OPEN_REVIEW else "closed"
        rep_cols = [
            "id",
            "patient",
            "infusion",
            "notes",
            "care",
            "source",
            "tier",
            "rules_version",
            "rules",
            "notes_signs",
            "is_severe",
            "needs_review",
            "clinician_level",
            "created_at",
        ]

        def reports():
            for n, (pk, inf_id, patient, created) in enumerate(planned):
                kind = kinds.get(pk, "")
                self.reports.append((pk, patient, created, kind))
                # The tier and rules the app's triage gives these symptoms, as report_create records them.
                result = _assess(_symptom_rows(n, kind))
                if result.alerts_clinicians != (kind == "severe"):
                    raise RuntimeError(f"bench symptoms of a {kind or 'plain'} report triage as {result.tier}")
                yield (
                    pk,
                    patient,
                    inf_id,
                    "",
                    "",
                    "patient",
                    result.tier.value,
                    result.version,
                    json.dumps(list(result.rules)),
                    "[]",
                    result.alerts_clinicians,
                    kind in ("review", "closed"),  # the reports the review flags below stand for
                    "",
                    created,
                )

        yield ReactionReport, rep_cols, reports()

        sym_cols = ["id", "report", "code", "grade", "onset", "ongoing"]

        def symptoms():
            pk = self._take(ReportedSymptom, 0)
            for n, (rep, _patient, _created, kind) in enumerate(self.reports):
                for code, grade in _symptom_rows(n, kind):
                    yield (pk, rep, code, grade, ONSETS[n % len(ONSETS)], n % 5 == 0)
                    pk += 1
            self.ids[ReportedSymptom] = pk

        yield ReportedSymptom, sym_cols, symptoms()

        # Follow-ups: 8 per infusion (9 on every third). The latest infusion's later ones are still
        # scheduled; everything older was answered, went unanswered, was skipped or cancelled.
        first_fu = self._take(FollowUp, FOLLOWUPS_PER_CLINIC)
        self.no_response_followups = []
        fu_cols = [
            "id",
            "infusion",
            "patient",
            "kind",
            "offset_hours",
            "due_at",
            "status",
            "created_at",
            "prompted_at",
            "sent_at",
            "reminded_at",
            "reminder_sent_at",
            "answered_at",
            "answer",
            "report",
            "closed_at",
        ]

        def followups():
            pk = first_fu
            extra = FOLLOWUPS_PER_CLINIC - 8 * n_inf
            for j, (inf_id, patient, ended, last) in enumerate(self.infusions):
                offsets = OFFSETS + ([EXTRA_OFFSET] if j < extra else [])
                for o in offsets:
                    due = ended + timedelta(hours=o)
                    if due > now:
                        yield (
                            pk,
                            inf_id,
                            patient,
                            "prompt",
                            o,
                            due,
                            "scheduled",
                            ended,
                            None,
                            None,
                            None,
                            None,
                            None,
                            "",
                            None,
                            None,
                        )
                    else:
                        roll = (pk * 7919) % 100
                        sent = due + timedelta(seconds=30)
                        if last or roll < 80:
                            yield (
                                pk,
                                inf_id,
                                patient,
                                "prompt",
                                o,
                                due,
                                "answered",
                                ended,
                                due,
                                sent,
                                None,
                                None,
                                sent + timedelta(hours=3),
                                "no_symptoms",
                                None,
                                sent + timedelta(hours=3),
                            )
                        elif roll < 90:
                            self.no_response_followups.append((pk, patient, due + timedelta(hours=48)))
                            yield (
                                pk,
                                inf_id,
                                patient,
                                "prompt",
                                o,
                                due,
                                "no_response",
                                ended,
                                due,
                                sent,
                                due + timedelta(hours=24),
                                due + timedelta(hours=24),
                                None,
                                "",
                                None,
                                due + timedelta(hours=48),
                            )
                        elif roll < 95:
                            yield (
                                pk,
                                inf_id,
                                patient,
                                "prompt",
                                o,
                                due,
                                "skipped",
                                ended,
                                due,
                                None,
                                None,
                                None,
                                None,
                                "",
                                None,
                                due,
                            )
                        else:
                            yield (
                                pk,
                                inf_id,
                                patient,
                                "prompt",
                                o,
                                due,
                                "cancelled",
                                ended,
                                None,
                                None,
                                None,
                                None,
                                None,
                                "",
                                None,
                                due,
                            )
                    pk += 1

        yield FollowUp, fu_cols, followups()

        flag_cols = [
            "id",
            "clinic",
            "patient",
            "report",
            "vitals",
            "followup",
            "kind",
            "status",
            "created_at",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
            "assigned_to",
            "snoozed_until",
            "snooze_reason",
            "outcome",
            "closed_at",
            "closed_by",
            "next_alert_at",
            "alerts_sent",
            "reason",  # only for flags no report stands behind (e.g. an address refused); "" here
        ]

        def flags():
            pk = self._take(Flag, 0)
            clinician = self.staff_ids[0]
            for rep, patient, created, kind in self.reports:
                if kind == "severe":
                    # Alerted and escalated already; the next escalation is far ahead (not due during the bench).
                    yield (
                        pk,
                        clinic_id,
                        patient,
                        rep,
                        None,
                        None,
                        "severe_event",
                        "open",
                        created,
                        None,
                        None,
                        "",
                        None,
                        None,
                        "",
                        "",
                        None,
                        None,
                        now + timedelta(days=30),
                        2,
                        "",
                    )
                elif kind == "review":
                    yield (
                        pk,
                        clinic_id,
                        patient,
                        rep,
                        None,
                        None,
                        "review",
                        "open",
                        created,
                        None,
                        None,
                        "",
                        None,
                        None,
                        "",
                        "",
                        None,
                        None,
                        None,
                        0,
                        "",
                    )
                elif kind == "closed":
                    yield (
                        pk,
                        clinic_id,
                        patient,
                        rep,
                        None,
                        None,
                        "review",
                        "closed",
                        created,
                        created + timedelta(hours=1),
                        clinician,
                        "",
                        None,
                        None,
                        "",
                        "resolved",
                        created + timedelta(hours=2),
                        clinician,
                        None,
                        0,
                        "",
                    )
                else:
                    continue
                pk += 1
            for fu, patient, at in self.no_response_followups[-OPEN_NO_RESPONSE:]:
                yield (
                    pk,
                    clinic_id,
                    patient,
                    None,
                    None,
                    fu,
                    "no_response",
                    "open",
                    at,
                    None,
                    None,
                    "",
                    None,
                    None,
                    "",
                    "",
                    None,
                    None,
                    None,
                    0,
                    "",
                )
                pk += 1
            self.ids[Flag] = pk

        yield Flag, flag_cols, flags()
