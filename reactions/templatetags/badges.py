"""The markup repeated on every row of the busiest pages, written in Python.

Badges, flag summaries and symptom lists, and the rows they sit in: the triage queue's rows, the
timeline's report cards, the home page's report lines and the product/lot tables. As templates
(an {% include %} or a dozen tags per row) they were most of those pages' time; as functions they
cost a few string joins. Every value from the database goes through format_html/conditional_escape;
the only unescaped text is our own translation catalogue, exactly as {% blocktranslate %} treats it.
tests/test_badges.py checks wording, escaping, languages and time zones.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import date_format, get_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from reactions.domain.catalogue import Symptom
from reactions.models import Flag, ReactionReport, ReportedSymptom

register = template.Library()


def _trusted(message: str, **values: Any) -> SafeString:
    """A translated message with %(name)s placeholders filled in with escaped values.

    The message's own markup (<strong>) comes from our catalogue and is kept, as blocktranslate does.
    """
    escaped = {name: conditional_escape(value) for name, value in values.items()}
    return mark_safe(message % escaped)  # nosec B308 B703
    # (safe: the catalogue's text is ours and every value above is escaped)


@functools.cache
def _format_pieces(fmt: str) -> tuple[tuple[bool, str], ...]:
    """A date format split as django.utils.dateformat splits it: (is a format character, text).

    Django's formatter splits the format anew for every date (~40 µs a date, tens of dates a page);
    split once, with the same expressions and the same DateFormat methods, a date costs ~13 µs.
    """
    return tuple(
        (True, piece) if i % 2 else (False, dateformat.re_escaped.sub(r"\1", piece))
        for i, piece in enumerate(dateformat.re_formatchars.split(fmt)) if piece
    )


def _formatted(value: Any, fmt: str) -> str:
    """date_format(value, fmt), with the format split once; dates (not datetimes) go Django's own way."""
    if not isinstance(value, datetime):
        return date_format(value, fmt)
    formatter = dateformat.DateFormat(value)
    return "".join(
        str(getattr(formatter, piece)()) if is_character else piece
        for is_character, piece in _format_pieces(str(get_format(fmt)))
    )


def _local_date(value: Any, fmt: str) -> str:
    """A stored time in the viewer's time zone, formatted: what the |date filter does in a template."""
    return _formatted(timezone.localtime(value), fmt)


@register.filter(expects_localtime=True, is_safe=False)
def local_date(value: Any, fmt: str) -> str:
    """Django's |date filter (a format is required), as quick as _local_date on the rows of the busy pages."""
    return "" if value in (None, "") else _formatted(value, fmt)


def _warning_marked(symptom: Symptom, name: str) -> SafeString:
    """A symptom's name (escaped unless already safe), in bold with ⚠ if it is a warning sign."""
    return format_html("<strong>⚠ {}</strong>", name) if symptom.is_warning_sign else conditional_escape(name)


@register.filter
def report_badge(report: ReactionReport) -> SafeString:
    if report.is_severe:
        return format_html('<span class="badge badge-severe">⚠ {}</span>', _("Warning sign"))
    if report.needs_review:
        return format_html('<span class="badge badge-review">● {}</span>', _("For review"))
    return format_html('<span class="badge badge-mild">{}</span>', _("Mild"))


@register.filter
def flag_badges(flag: Flag) -> SafeString:
    """The flag's kind, then its state (acknowledged / closed) and a snooze, as badges."""
    if flag.kind == Flag.Kind.SEVERE_EVENT:
        parts = [format_html('<span class="badge badge-severe">⚠ {}</span>', _("Severe event"))]
    elif flag.kind == Flag.Kind.REVIEW:
        parts = [format_html('<span class="badge badge-review">● {}</span>', _("Review"))]
    elif flag.kind == Flag.Kind.UNREACHABLE:
        parts = [format_html('<span class="badge badge-review">✉ {}</span>', _("Cannot reach"))]
    else:
        parts = [format_html('<span class="badge badge-mild">✉ {}</span>', _("No response"))]
    if flag.status == Flag.Status.ACKNOWLEDGED:
        parts.append(format_html('<span class="badge badge-ack">✓ {}</span>', _("Acknowledged")))
    elif flag.status == Flag.Status.CLOSED:
        closed = _trusted(_("Closed: %(outcome)s"), outcome=flag.get_outcome_display())
        parts.append(format_html('<span class="badge badge-mild">{}</span>', closed))
    if flag.snoozed_until and flag.status != Flag.Status.CLOSED:
        snoozed = _trusted(_("Snoozed to %(date)s"), date=_local_date(flag.snoozed_until, "j M"))
        parts.append(format_html('<span class="badge badge-mild">⏸ {}</span>', snoozed))
    return mark_safe("\n".join(parts))  # nosec B308 B703
    # (safe: each part was built by format_html)


@register.filter
def flag_summary(flag: Flag) -> SafeString:
    """What a flag is about, in one cell: symptoms with grade and onset, out-of-range vitals, or the silent prompt."""
    if flag.report_id:
        report = flag.report
        # The queue's rows come with symptom_list (selectors.triage_queue.queue_details); a flag's own page asks here.
        symptoms = report.symptom_list if hasattr(report, "symptom_list") else report.symptoms.order_by("pk")
        if symptoms:
            items = []
            for s in symptoms:
                name = _warning_marked(s.symptom, s.symptom.clinical_name)
                items.append(format_html("{} ({}, {})", name, s.get_grade_display().lower(), s.get_onset_display().lower()))
            text = mark_safe("; ".join(items))  # nosec B308 B703
            # (safe: each item was built by format_html)
        else:
            text = conditional_escape(_("Notes only"))
        if report.clinician_level:
            text += format_html(
                '<br><span class="small">{}</span>',
                _trusted(_("Reclassified by clinician as <strong>%(level)s</strong>"), level=report.clinician_level),
            )
        return text
    if flag.vitals_id:
        vitals = flag.vitals
        parts = [_trusted(_("Vitals outside the safe range (%(phase)s):"), phase=vitals.get_phase_display().lower())]
        if vitals.systolic:
            parts.append(format_html("{} {}/{}", _("BP"), vitals.systolic, vitals.diastolic))
        if vitals.pulse:
            parts.append(format_html("· {} {}", _("pulse"), vitals.pulse))
        if vitals.temperature:
            parts.append(format_html("· {} °C", vitals.temperature))
        return mark_safe(" ".join(parts))  # nosec B308 B703
        # (safe: each part was built by format_html or _trusted)
    if flag.kind == Flag.Kind.UNREACHABLE:
        return _trusted(_("Cannot reach the patient: %(reason)s"), reason=flag.reason)
    if flag.followup_id:
        return _trusted(_("No answer to the +%(hours)s h follow-up prompt"), hours=flag.followup.offset_hours)
    return mark_safe("")  # nosec B308 B703


@register.simple_tag
def symptom_list(symptoms: Iterable[ReportedSymptom], clinical: bool = False) -> SafeString:
    """The reported symptoms as a list: name (patients' words; clinicians see the clinical name too),
    grade, onset and whether it is still going on; warning signs in bold with ⚠."""
    items = []
    for s in symptoms:
        symptom = s.symptom
        if clinical and symptom.label != symptom.clinical_name:
            name = format_html('{} <span class="text-body-secondary">({})</span>', symptom.clinical_name, symptom.label)
        else:
            name = symptom.clinical_name if clinical else symptom.label
        name = _warning_marked(symptom, name)
        ongoing = format_html(", {}", _("still going on")) if s.ongoing else ""
        items.append((name, s.get_grade_display().lower(), s.get_onset_display().lower(), ongoing))
    if not items:
        return mark_safe("")  # nosec B308 B703
    rows = format_html_join("\n", "  <li>{} — {}, {}{}</li>", items)
    return format_html('<ul class="mb-0 mt-1">\n{}\n</ul>', rows)


@register.simple_tag
def product_rows(rows: Iterable[dict[str, Any]], show_lot: bool = False) -> SafeString:
    """The body of the product/lot report's tables: one row per product (or lot), with rates in percent.

    Percentages as {% widthratio %} gives them (Python's round()).
    """
    not_recorded = _("(not recorded)")
    out = []
    for r in rows:
        lot = format_html("<td>{}</td>", r["lot_number"] or not_recorded) if show_lot else ""
        severe = (
            format_html("<strong>{} ({}%)</strong>", r["severe"], round(r["severe_rate"] * 100)) if r["severe"] else "0"
        )
        out.append(format_html(
            "<tr><td>{}</td>{}<td>{}</td><td>{}</td><td>{} ({}%)</td><td>{}</td></tr>",
            r["product_name"], lot, r["infusions"], r["patients"], r["mild"], round(r["mild_rate"] * 100), severe,
        ))  # fmt: skip
    return mark_safe("".join(out))  # nosec B308 B703
    # (safe: each row was built by format_html)


@register.filter
def queue_row(flag: Flag) -> SafeString:
    """One row of the triage queue: badges, patient, what happened, which infusion, age, who handles it."""
    row_class = "flag-severe" if flag.is_severe else "flag-review" if flag.kind in (Flag.Kind.REVIEW, Flag.Kind.UNREACHABLE) else ""
    infusion = flag.infusion
    if infusion is None:
        about = ""
    else:
        about = format_html("{} · {}", _local_date(infusion.started_at, "j M"), infusion.product_name)
        if infusion.lot_number:
            about += format_html(", {}", _trusted(_("lot %(lot)s"), lot=infusion.lot_number))
    created = timezone.localtime(flag.created_at)
    handled = (
        format_html("✓ {}", flag.acknowledged_by) if flag.acknowledged_by
        else format_html("<strong>{}</strong>", _("not yet"))
    )  # fmt: skip
    if flag.assigned_to:
        handled += format_html('<br><span class="small">→ {}</span>', flag.assigned_to)
    return format_html(
        '<tr class="{}"><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
        '<td><time datetime="{}">{}</time></td><td>{}</td></tr>',
        row_class, flag_badges(flag), reverse("flag_detail", args=[flag.pk]), flag.patient.full_name,
        flag_summary(flag), about, created.isoformat(), timesince(flag.created_at), handled,
    )  # fmt: skip


@register.filter
def report_line(report: ReactionReport) -> SafeString:
    """A report on the patient's home page: badge, when (a link to it), and the symptoms in their words.

    Expects ``report.symptom_list`` (prefetched).
    """
    symptoms = [format_html("{} ({})", s.symptom.label, s.get_grade_display().lower()) for s in report.symptom_list]
    what = mark_safe(", ".join(symptoms)) if symptoms else conditional_escape(_("notes only"))  # nosec B308 B703
    # (safe: each symptom was built by format_html)
    when = _trusted(_("Reported %(date)s"), date=_local_date(report.created_at, "j M, H:i"))
    return format_html(
        '<div class="small mt-1">{} <a href="{}">{}</a>: {}</div>',
        report_badge(report), reverse("report_detail", args=[report.pk]), when, what,
    )  # fmt: skip


@register.simple_tag(takes_context=True)
def timeline_card(context: template.Context, report: ReactionReport) -> SafeString:
    """A report on the clinician's timeline: badges, symptoms, notes, reclassifications, flags with their
    notes, and the reclassify form (its fields rendered once per page, in ``reclassify_form_html``).

    Expects the lists timeline_details() sets on the report.
    """
    parts = [
        format_html(
            '{} <span class="small">{}</span>', report_badge(report),
            _trusted(_("reported %(date)s"), date=_local_date(report.created_at, "j M Y, H:i")),
        )  # fmt: skip
    ]
    if report.clinician_level:
        level = _trusted(_("Clinician: %(level)s"), level=report.clinician_level)
        parts.append(format_html('<span class="badge badge-mild">{}</span>', level))
    parts.append(symptom_list(report.symptom_list, clinical=True))
    if report.notes:
        parts.append(format_html('<p class="small mb-1">“{}”</p>', report.notes))
    for change in report.reclassification_list:
        text = _trusted(
            _("Reclassified %(from_level)s → %(to_level)s by %(by)s, %(date)s: %(reason)s"),
            from_level=change.from_level, to_level=change.to_level, by=change.by or "—",
            date=_local_date(change.created_at, "j M Y"), reason=change.reason,
        )  # fmt: skip
        parts.append(format_html('<div class="small">{}</div>', text))
    for flag in report.flag_list:
        outcome = format_html(" — {}", flag.get_outcome_display()) if flag.outcome else ""
        events = format_html_join("", "<br>· {}, {}: {}", (
            (event.actor or _("system"), _local_date(event.created_at, "j M"), event.note)
            for event in flag.shown_events
        ))  # fmt: skip
        parts.append(format_html(
            '<div class="small mt-1"><a href="{}">{}</a>: {}{}{}</div>',
            reverse("flag_detail", args=[flag.pk]), flag.get_kind_display(), flag.get_status_display().lower(),
            outcome, events,
        ))  # fmt: skip
    parts.append(format_html(
        '<details class="mt-1"><summary class="small">{}</summary><form method="post" action="{}" '
        'class="mt-1 narrow-form"><input type="hidden" name="csrfmiddlewaretoken" value="{}">{}'
        '<button type="submit" class="btn btn-sm btn-outline-danger">{}</button></form></details>',
        _("Reclassify"), reverse("report_reclassify", args=[report.pk]), context.get("csrf_token", ""),
        context.get("reclassify_form_html", ""), _("Reclassify"),
    ))  # fmt: skip
    body = mark_safe("\n".join(parts))  # nosec B308 B703
    # (safe: each part was built by format_html, _trusted or symptom_list)
    return format_html('<div class="card my-2" id="report-{}"><div class="card-body py-2">{}</div></div>', report.pk, body)
