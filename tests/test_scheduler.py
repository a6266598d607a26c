"""The job process: jobs, triggers and time zone; catch-up on start; web workers run no job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from audits.models import SampleRound
from core.clock import LOCAL_TZ
from core.scheduler import build_scheduler, run_startup_jobs


def test_jobs_are_scheduled_in_shanghai_time(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "monthly_sample_freeze",
        "sample_unwitnessed_draw",
        "open_drawn_rounds",
        "daily_escalation",
        "monthly_target_snapshot",
        "stale_uploads",
        "daily_notifications",
        "immediate_notifications",
        "contract_texts",
        "forget_login_attempts",
        "purge_refused_uploads",
        "register_figures",
    }
    assert str(scheduler.timezone) == "Asia/Shanghai"
    after = datetime(2026, 11, 25, 12, 0, tzinfo=LOCAL_TZ)
    # SPEC §5: the scheduler freezes round M at 00:05 on the 1st of M+1 (Asia/Shanghai)
    freeze_next = jobs["monthly_sample_freeze"].trigger.get_next_fire_time(None, after)
    assert freeze_next == datetime(2026, 12, 1, 0, 5, tzinfo=LOCAL_TZ)
    draw_next = jobs["sample_unwitnessed_draw"].trigger.get_next_fire_time(None, after)
    assert draw_next == datetime(2026, 11, 25, 18, 0, tzinfo=LOCAL_TZ)
    # a round drawn on the web too large to open in the request (or whose process stopped
    # before its picks were written) is opened within a minute
    assert jobs["open_drawn_rounds"].trigger.interval == timedelta(minutes=1)
    escalation_next = jobs["daily_escalation"].trigger.get_next_fire_time(None, after)
    assert escalation_next == datetime(2026, 11, 26, 1, 0, tzinfo=LOCAL_TZ)
    snapshot_next = jobs["monthly_target_snapshot"].trigger.get_next_fire_time(None, after)
    assert snapshot_next == datetime(2026, 12, 1, 3, 0, tzinfo=LOCAL_TZ)
    notify_next = jobs["daily_notifications"].trigger.get_next_fire_time(None, after)
    assert notify_next == datetime(2026, 11, 26, 8, 0, tzinfo=LOCAL_TZ)


def test_startup_catches_up_missed_months_once(app):
    from core.db import db
    from core.models import Setting

    db.session.merge(Setting(key="sampling_start_month", value="2026-08", description=""))
    db.session.commit()
    run_startup_jobs(app)
    months = sorted(db.session.scalars(select(SampleRound.month)))
    assert months[0] == "2026-08" and len(months) >= 3  # 2026-08 up to last month
    drawn = sorted(
        db.session.scalars(select(SampleRound.month).where(SampleRound.drawn_at.is_not(None)))
    )
    assert drawn[:2] == ["2026-08", "2026-09"]  # past their 3rd working day: drawn unwitnessed
    run_startup_jobs(app)
    assert sorted(db.session.scalars(select(SampleRound.month))) == months


def test_creating_the_web_app_starts_no_scheduler(app):
    import threading

    assert not any(
        "APScheduler" in t.name or "apscheduler" in t.name.lower() for t in threading.enumerate()
    )
