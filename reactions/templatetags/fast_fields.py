"""``bs5_field``: crispy-forms' Bootstrap 5 markup for one field, without crispy's template machinery.

crispy renders a field through a large nested template (about 2 ms a field); on pages rendered on
every request (the triage queue's filters, date ranges, the infusion form) that dominated the page.
This filter writes the same markup in Python for the plain widgets (text, number, date, select,
textarea) and for radio buttons, and hands anything else (checkboxes, files) to crispy's
``as_crispy_field``.
"""
from __future__ import annotations

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# crispy's asterisk after a required field's label. A constant string: nothing to escape.
_REQUIRED_MARK = mark_safe('<span class="asteriskField">*</span>')  # nosec B308 B703

_PLAIN = (forms.Select, forms.Textarea, Input)
_OTHER = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.FileInput, forms.HiddenInput,
          forms.MultiWidget)


@register.filter
def bs5_field(field: forms.BoundField) -> SafeString:
    widget = field.field.widget
    if type(widget) is forms.RadioSelect:  # not its subclasses: they may draw their options differently
        return _radio_field_html(field)
    if not isinstance(widget, _PLAIN) or isinstance(widget, _OTHER) or isinstance(widget, forms.SelectMultiple):
        return as_crispy_field(field)
    errors = _bound_errors(field)
    auto_id = field.auto_id
    required = field.field.required and field.form.use_required_attribute
    classes = [type(widget).__name__.lower(), "form-select" if isinstance(widget, forms.Select) else "form-control"]
    if errors:
        classes.append("is-invalid")
    existing = widget.attrs.get("class")
    attrs = {"class": " ".join(([existing] if existing else []) + classes)}
    if errors:
        attrs["aria-describedby"] = f"{auto_id}_helptext {auto_id}_error" if field.help_text else f"{auto_id}_error"
    label = ""
    if field.label:
        label = format_html(
            '<label for="{}" class="form-label{}">{}{}</label>',
            field.id_for_label, " requiredField" if required else "", field.label,
            _REQUIRED_MARK if required else "",
        )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}{}</div>',
        auto_id, label, _widget_html(field, attrs), _errors_html(field), _help_html(field),
    )


def _bound_errors(field: forms.BoundField) -> list[str]:
    """The field's errors, as crispy shows them: none on an unbound form."""
    return field.errors if field.form.is_bound else []


def _errors_html(field: forms.BoundField) -> SafeString | str:
    errors = _bound_errors(field)
    if not errors:
        return ""
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        field.auto_id,
        format_html_join("", '<p id="error_{}_{}"><strong>{}</strong></p>',
                         ((n, field.auto_id, e) for n, e in enumerate(errors, 1))),
    )


def _help_html(field: forms.BoundField) -> SafeString | str:
    if not field.help_text:
        return ""
    return format_html('<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text)


def _radio_field_html(field: forms.BoundField) -> SafeString:
    """crispy's radio buttons: a fieldset whose legend is the label, one form-check per option, the
    errors inside the last option."""
    widget = field.field.widget
    error_html = _errors_html(field)
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    groups = widget.optgroups(field.html_name, widget.format_value(field.value()), attrs)
    last = [(g, len(choices) - 1) for g, (_name, choices, _index) in enumerate(groups)][-1] if groups else None
    parts = []
    for g, (group_name, choices, _index) in enumerate(groups):
        if group_name:
            parts.append(format_html("<strong>{}</strong>", group_name))
        for n, option in enumerate(choices):
            parts.append(format_html(
                '<div class="form-check"><input type="{}" class="form-check-input{}" name="{}" value="{}"{}>'
                '<label for="{}" class="form-check-label">{}</label>{}</div>',
                option["type"], " is-invalid" if error_html else "", field.html_name,
                formats.localize(option["value"], use_l10n=False), flatatt(option["attrs"]),
                option["attrs"].get("id", ""), formats.localize(option["label"], use_l10n=False),
                error_html if (g, n) == last else "",
            ))  # fmt: skip
    # Each part was built with format_html (escaped), so the joined string is safe.
    options_html = format_html("<div>{}</div>{}", mark_safe("".join(parts)), _help_html(field))  # nosec B308 B703
    if not field.label:
        return format_html('<div id="div_{}" class="mb-3">{}</div>', field.auto_id, options_html)
    required = field.field.required
    describedby = field.aria_describedby
    return format_html(
        '<div id="div_{}" class="mb-3"><fieldset{}><legend class="form-label{} fs-6">{}{}</legend>{}</fieldset></div>',
        field.auto_id, format_html(' aria-describedby="{}"', describedby) if describedby else "",
        " requiredField" if required else "", field.label,
        _REQUIRED_MARK if required else "",
        options_html,
    )


def _widget_html(field: forms.BoundField, attrs: dict) -> SafeString:
    """What Django's widget templates write for an input, a select or a textarea, without the templates."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    value = field.value()
    if isinstance(widget, forms.Textarea):
        ctx = widget.get_context(field.html_name, value, attrs)["widget"]
        return format_html('<textarea name="{}"{}>\n{}</textarea>', ctx["name"], flatatt(ctx["attrs"]),
                           ctx["value"] if ctx["value"] is not None else "")
    if isinstance(widget, forms.Select):
        ctx = widget.get_context(field.html_name, value, attrs)["widget"]
        options = []
        for group_name, group_choices, _index in ctx["optgroups"]:
            rows = format_html_join(
                "", '<option value="{}"{}>{}</option>',
                ((option["value"] if option["value"] is not None else "", flatatt(option["attrs"]), option["label"])
                 for option in group_choices),
            )
            options.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, rows) if group_name else rows)
        # Every option was built with format_html (escaped), so the joined string is safe.
        return format_html('<select name="{}"{}>{}</select>', ctx["name"], flatatt(ctx["attrs"]),
                           mark_safe("".join(options)))  # nosec B308 B703
    ctx = widget.get_context(field.html_name, value, attrs)["widget"]
    value_html = format_html(' value="{}"', ctx["value"]) if ctx["value"] is not None else ""
    return format_html('<input type="{}" name="{}"{}{}>', ctx["type"], ctx["name"], value_html, flatatt(ctx["attrs"]))
