"""/health/: is the app able to do its job? For load balancers and monitors; it shows no patient data.

200 when the database and the broker answer, the dispatcher ran recently and no message has waited too
long unsent; 503 (with what is wrong) otherwise. README "Operating it" says how to watch it.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from reactions import engine


def _broker_problem() -> str | None:
    from ivigtrack.celery import app

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:
        return f"the broker is unreachable: {error!r}"[:300]
    return None


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        status = engine.health.engine_health()
    except DatabaseError as error:
        return JsonResponse(
            {"status": "failing", "problems": [f"the database is unreachable: {error!r}"[:300]]}, status=503
        )
    problems = status.problems
    broker = _broker_problem()
    if broker:
        problems.append(broker)
    body = {
        "status": "failing" if problems else "ok",
        "problems": problems,
        "database": "ok",
        "broker": "failing" if broker else "ok",
        "dispatcher_last_pass_started": status.last_tick_at.isoformat() if status.last_tick_at else None,
        "dispatcher_last_pass_age_seconds": None if status.tick_age is None else round(status.tick_age, 1),
        "oldest_unsent_message_age_seconds": round(status.oldest_unsent_age, 1),
    }
    return JsonResponse(body, status=503 if problems else 200)
