"""``{% include_reused "name" %}``: include a template, rendering it only once per page.

base.html shows the navigation twice (a <details> menu on phones, inline links on wide screens);
rendering it once and writing it twice saves a few dozen tags on every page. Only for templates
whose output depends on nothing that changes between the two places.
"""
from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def include_reused(context: template.Context, name: str) -> SafeString:
    rendered = context.render_context.setdefault("include_reused", {})
    if name not in rendered:
        rendered[name] = context.template.engine.get_template(name).render(context)
    return rendered[name]
