"""The date edge cases of docs/explanation/dates.md, each pinned to the day."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cytolicense as cl
from cytolicense import Status
from cytolicense.core._dates import line_shown, status, visible

from .conftest import request

D = dt.date


@pytest.mark.parametrize(
    ("start", "period", "expiry"),
    [
        (D(2024, 2, 29), "1y", D(2025, 2, 28)),  # 29 Feb + 1 year = 28 Feb
        (D(2024, 2, 29), "2y", D(2026, 2, 28)),
        (D(2024, 2, 29), "3y", D(2027, 2, 28)),
        (D(2026, 1, 31), "1m", D(2026, 2, 28)),  # 31 Jan + 1 month = end of February
        (D(2028, 1, 31), "1m", D(2028, 2, 29)),  # ... which is the 29th in a leap year
        (D(2026, 3, 31), "1m", D(2026, 4, 30)),
        (D(2026, 12, 31), "1m", D(2027, 1, 31)),
        (D(2026, 11, 27), "1y", D(2027, 11, 27)),
        (D(2026, 11, 27), "3y", D(2029, 11, 27)),
    ],
)
def test_commercial_expiry(start: dt.date, period: str, expiry: dt.date) -> None:
    assert cl.commercial_expiry(start, cl.Period.parse(period)) == expiry


def test_trial_expiry() -> None:
    """Contract v2: a trial of N days serves N days, start included (C11)."""
    assert cl.trial_expiry(D(2026, 3, 1), 30) == D(2026, 3, 30)
    assert cl.trial_expiry(D(2026, 11, 27), 30) == D(2026, 12, 26)
    assert cl.trial_expiry(D(2028, 2, 1), 30) == D(2028, 3, 1)  # through 29 Feb
    assert cl.trial_expiry(D(2026, 1, 1), 1) == D(2026, 1, 1)


@pytest.mark.parametrize(
    ("start", "period", "anniversary", "day_before"),
    [
        (D(2026, 3, 1), "1y", D(2027, 3, 1), D(2027, 2, 28)),
        (D(2028, 2, 29), "1y", D(2029, 2, 28), D(2029, 2, 27)),
        (D(2027, 3, 1), "1y", D(2028, 3, 1), D(2028, 2, 29)),  # 366 days served
        (D(2026, 1, 31), "1m", D(2026, 2, 28), D(2026, 2, 27)),
        (D(2026, 1, 1), "1y", D(2027, 1, 1), D(2026, 12, 31)),
    ],
)
def test_term_end(start: dt.date, period: str, anniversary: dt.date, day_before: dt.date) -> None:
    p = cl.Period.parse(period)
    assert cl.commercial_expiry(start, p) == anniversary
    assert cl.commercial_expiry(start, p, cl.TermEnd.ANNIVERSARY) == anniversary
    assert cl.commercial_expiry(start, p, cl.TermEnd.DAY_BEFORE) == day_before


periods = (
    st.tuples(st.integers(0, 5), st.integers(0, 24))
    .filter(lambda t: t != (0, 0))
    .map(lambda t: cl.Period(years=t[0], months=t[1]))
)


@given(st.dates(D(1990, 1, 1), D(2100, 12, 31)), periods)
def test_expiry_minus_start_is_the_period_in_calendar_terms(start: dt.date, p: cl.Period) -> None:
    end = cl.commercial_expiry(start, p)
    months = (end.year - start.year) * 12 + end.month - start.month
    assert months == p.total_months
    # The day is kept, or clipped to the last day of a shorter month.
    if end.day != start.day:
        assert end.day < start.day
        assert (end + dt.timedelta(days=1)).day == 1


def m(**kw: object) -> cl.Maintenance:
    base: dict[str, object] = {
        "id": "m1",
        "product": "edr",
        "license_type": "commercial",
        "quantity": 1,
        "period": "1y",
        "starts_on": D(2026, 1, 1),
        "expires_on": D(2027, 1, 1),
        "management": "centralized",
    }
    base.update(kw)
    return cl.Maintenance(**base)  # type: ignore[arg-type]


def test_status_edges() -> None:
    x = m()
    assert status(x, D(2026, 1, 1)) is Status.ACTIVE  # first day
    assert status(x, D(2027, 1, 1)) is Status.ACTIVE  # the expiry date is the last day
    assert status(x, D(2027, 1, 2)) is Status.EXPIRED
    with pytest.raises(ValueError, match="starts on 2026-01-01, after 2025-12-31"):
        status(x, D(2025, 12, 31))


def test_deleting_wins_over_expiring() -> None:
    on_expiry = m(deleted_on=D(2027, 1, 1))
    assert status(on_expiry, D(2026, 12, 31)) is Status.ACTIVE
    assert status(on_expiry, D(2027, 1, 1)) is Status.DELETED  # deletion on the expiry day
    assert on_expiry.ended_on == D(2027, 1, 1)
    after = m(deleted_on=D(2027, 2, 1))
    assert status(after, D(2027, 1, 15)) is Status.EXPIRED
    assert status(after, D(2027, 2, 1)) is Status.DELETED
    assert after.ended_on == D(2027, 1, 1)


def client(**kw: object) -> cl.Client:
    base: dict[str, object] = {"id": "c", "name": "C", "created_on": D(2026, 1, 1)}
    base.update(kw)
    return cl.Client(**base)  # type: ignore[arg-type]


def test_day_89_versus_day_90() -> None:
    c = client(maintenances=[m()])  # ended 2027-01-01
    assert visible(c, D(2027, 3, 31))  # day 89 after the end
    assert not visible(c, D(2027, 4, 1))  # day 90
    empty = client()
    assert visible(empty, D(2026, 3, 31))
    assert not visible(empty, D(2026, 4, 1))


def test_deleted_client_visibility() -> None:
    c = client(deleted_on=D(2026, 6, 1), maintenances=[m(deleted_on=D(2026, 6, 1))])
    assert c.ended_on == D(2026, 6, 1)
    assert visible(c, D(2026, 6, 1))
    assert visible(c, D(2026, 8, 29))  # day 89
    assert not visible(c, D(2026, 8, 30))  # day 90
    # Asked about a day before the deletion, the client was live then.
    assert visible(c, D(2026, 5, 31))


def test_latest_end_counts() -> None:
    short = m(id="a", expires_on=D(2026, 2, 1), period="1m")
    deleted = m(id="b", deleted_on=D(2026, 3, 1))
    c = client(maintenances=[short, deleted])
    assert c.ended_on == D(2026, 3, 1)
    assert visible(c, D(2026, 5, 29))
    assert not visible(c, D(2026, 5, 30))


def test_detail_lines_follow_the_same_test() -> None:
    x = m()
    assert line_shown(x, D(2027, 3, 31))
    assert not line_shown(x, D(2027, 4, 1))
    assert not line_shown(x, D(2025, 12, 31))


@given(st.dates(D(2020, 1, 1), D(2030, 1, 1)), st.integers(0, 400), st.integers(-50, 600))
def test_visibility_is_the_90_day_rule(start: dt.date, length: int, offset: int) -> None:
    x = m(starts_on=start, expires_on=start + dt.timedelta(days=length), period="1y")
    c = client(created_on=start, maintenances=[x])
    today = x.expires_on + dt.timedelta(days=offset)
    if today < start:
        return
    expected = x.is_active(today) or (today - x.expires_on).days < 90
    assert visible(c, today) is expected
    assert (c in cl.Engine.monitoring([c], today)) is expected


def test_engine_views_use_the_same_rules(engine: cl.Engine) -> None:
    c = engine.assign(
        engine.create_client("a", "A", D(2026, 1, 1)), request(), D(2026, 1, 1)
    ).client
    assert engine.status(c.maintenances[0], D(2027, 1, 2)) is Status.EXPIRED
    assert engine.visible(c, D(2027, 3, 31))
    assert not engine.visible(c, D(2027, 4, 1))
