"""The one job process (`flask scheduler`): APScheduler 3.x, Asia/Shanghai.

Web workers never run jobs. Domains register ``(id, trigger kwargs, func)`` in
``hooks(app).scheduled_jobs`` and catch-up work in ``hooks(app).startup_jobs`` (core.hooks);
each job runs in its own app context and commits itself. Jobs are idempotent, so a second
scheduler process by mistake does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from core.clock import LOCAL_TZ
from core.hooks import hooks

log = logging.getLogger("scheduler")


def _in_context(app: Flask, name: str, func: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                result = func()
                # a frequent job with nothing to do (an empty or zero result) logs quietly
                log.log(logging.INFO if result else logging.DEBUG, "job %s done: %s", name, result)
            except Exception:
                log.exception("job %s failed", name)

    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=LOCAL_TZ,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for job_id, trigger, func in hooks(app).scheduled_jobs:
        scheduler.add_job(
            _in_context(app, job_id, func), id=job_id, replace_existing=True, **trigger
        )
    return scheduler


def run_startup_jobs(app: Flask) -> None:
    for name, func in hooks(app).startup_jobs:
        _in_context(app, name, func)()


def run_scheduler(app: Flask) -> None:  # pragma: no cover - blocks forever
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_startup_jobs(app)
    scheduler = build_scheduler(app)
    for job in scheduler.get_jobs():
        log.info("scheduled %s: %s", job.id, job.trigger)
    scheduler.start()
