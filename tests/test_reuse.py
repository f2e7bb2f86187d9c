"""{% include_reused %}: one rendering per page, written wherever it is asked for."""
from __future__ import annotations

from django.template import Context, Engine


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def next(self) -> int:
        self.calls += 1
        return self.calls


def test_the_template_is_rendered_once_per_page_and_written_twice():
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", {"part.html": "<b>{{ counter.next }}</b>"})],
        libraries={"reuse": "reactions.templatetags.reuse"},
    )
    page = engine.from_string('{% load reuse %}{% include_reused "part.html" %}|{% include_reused "part.html" %}')
    counter = _Counter()
    assert page.render(Context({"counter": counter})) == "<b>1</b>|<b>1</b>"
    assert counter.calls == 1
    # A new page renders it again: nothing is kept between renderings.
    assert page.render(Context({"counter": counter})) == "<b>2</b>|<b>2</b>"
