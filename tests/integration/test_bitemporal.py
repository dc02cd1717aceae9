"""Reads at any (as_of, known_at): checked against the slow oracle, on both stores."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.catalog import AMENDING_TYPES
from events.errors import RuleViolated
from service.projections.state import headline, render_state
from tests.builders import draft, firm_totals, formed
from tests.oracle import expected_state

RENDER_AT = date(2026, 11, 1)
_slugs = (f"p-{n}" for n in itertools.count())

dates = st.builds(
    lambda year, month, day, precision: (
        f"{year}"
        if precision == 0
        else f"{year}-Q{(month - 1) // 3 + 1}"
        if precision == 1
        else f"{year}-{month:02d}"
        if precision == 2
        else f"{year}-{month:02d}-{day:02d}"
    ),
    st.integers(2019, 2025),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 3),
)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("InvestmentMade"), dates, st.sampled_from(["1", "250.5", "1000"])),
        st.tuples(st.just("DisputeOpened"), dates, st.sampled_from(["a", "b"])),
        st.tuples(st.just("DisputeEscalated"), dates, st.sampled_from(["a", "b"])),
        st.tuples(st.just("DisputeResolved"), dates, st.sampled_from(["a", "b"])),
        st.tuples(st.just("RiskFlagged"), dates, st.sampled_from(["r", "s"])),
        st.tuples(st.just("TrustSignal"), dates, st.sampled_from(["-7", "3"])),
        st.tuples(st.just("EventCorrected"), dates, st.integers(0, 50)),
        st.tuples(st.just("EventRetracted"), dates, st.integers(0, 50)),
    ),
    min_size=1,
    max_size=14,
)


def perform(service, slug, steps):
    """Append what the rules accept; return the ids of the plain events recorded."""
    service.create_partnership(slug, formed("2019-01"))
    plain: list[str] = []
    for kind, occurred_on, arg in steps:
        if kind == "InvestmentMade":
            candidate = draft(kind, occurred_on, amount=arg)
        elif kind in ("DisputeOpened", "DisputeEscalated", "DisputeResolved"):
            candidate = draft(kind, occurred_on, dispute_id=arg)
        elif kind == "RiskFlagged":
            candidate = draft(kind, occurred_on, risk_id=arg)
        elif kind == "TrustSignal":
            candidate = draft(kind, occurred_on, delta=int(arg))
        elif not plain:
            continue
        elif kind == "EventCorrected":
            candidate = draft(
                kind,
                occurred_on,
                target_id=plain[arg % len(plain)],
                fields={"occurred_on": occurred_on, "confidence": "rumored"},
                reason="checked again",
            )
        else:
            candidate = draft(kind, occurred_on, target_id=plain[arg % len(plain)], reason="x")
        candidate = candidate.with_id()
        try:
            service.append(slug, [candidate])
        except RuleViolated:
            continue
        if kind not in AMENDING_TYPES:
            plain.append(str(candidate.id))


def stream(service, slug):
    return [e for e in service.log(limit=10_000) if e.partnership == slug]


def as_of_dates(events):
    ends = sorted({e.occurred_on.end for e in events})
    return [None, date(2018, 12, 31), *ends[:: max(1, len(ends) // 4)]]


def rendered(state):
    return render_state(state, RENDER_AT)


@pytest.fixture
def small_checkpoints(service):
    service.view.checkpoint_interval = 3  # exercise checkpoints on short histories
    return service


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_every_read_equals_a_replay_from_scratch(small_checkpoints, steps):
    service = small_checkpoints
    slug = next(_slugs)
    perform(service, slug, steps)
    events = stream(service, slug)
    service.catch_up()
    latest = service.state(slug)
    assert latest.knowledge.version == events[-1].version
    assert latest.state == render_state(
        expected_state(events, events[-1].version), service.clock.now.date()
    ), "the incrementally kept state equals a full replay"
    points = sorted({d for d in as_of_dates(events) if d is not None} | {date(2026, 1, 1)})
    for version, known_at in (
        (events[-1].version, None),
        (events[0].version, events[0].recorded_at),
    ):
        series = service.series(slug, points, known_at=known_at)
        assert series.knowledge.version == version
        assert series.points == [
            {"at": p.isoformat(), **headline(expected_state(events, version, p), p)} for p in points
        ], "a series is the state at each of its points"
    for event in events:  # every past belief ...
        for as_of in as_of_dates(events):  # ... about every date
            answer = service.state(slug, as_of=as_of, known_at=event.recorded_at)
            assert answer.knowledge.version == event.version
            assert answer.state == render_state(
                expected_state(events, event.version, as_of), as_of or service.clock.now.date()
            )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=operations, later=operations)
def test_an_answer_once_given_never_changes(small_checkpoints, first, later):
    service = small_checkpoints
    slug = next(_slugs)
    perform(service, slug, first)
    events = stream(service, slug)
    known_at = events[-1].recorded_at
    questions = [*as_of_dates(events), date(2030, 1, 1)]
    before = [service.state(slug, as_of=d, known_at=known_at).state for d in questions if d]
    service.clock.advance(seconds=1)
    perform_more(service, slug, later)
    after = [service.state(slug, as_of=d, known_at=known_at).state for d in questions if d]
    assert before == after


def perform_more(service, slug, steps):
    """Further appends to an existing stream (the formation is already there)."""
    original = service.create_partnership
    service.create_partnership = lambda *args, **kwargs: None
    try:
        perform(service, slug, steps)
    finally:
        service.create_partnership = original


def test_a_retraction_removes_its_target_from_known_at_onwards_and_not_before(service, clock):
    slug = "retract"
    service.create_partnership(slug, formed())
    investment = draft("InvestmentMade", "2020-03").with_id()
    service.append(slug, [investment])
    believed_at = clock.advance(days=1)
    clock.advance(days=1)
    service.append(
        slug, [draft("EventRetracted", "2026-10-01", target_id=investment.id, reason="wrong")]
    )
    retracted_at = clock.advance(days=1)
    totals = "investments", "totals"
    then = service.state(slug, as_of=date(2021, 1, 1), known_at=believed_at).state
    now = service.state(slug, as_of=date(2021, 1, 1), known_at=retracted_at).state
    assert then[totals[0]][totals[1]] == {"USD": firm_totals("1000000000")}
    assert now[totals[0]][totals[1]] == {}
    detail = service.event(slug, investment.id)
    assert detail.retracted
    assert [a.type for a in detail.amendments] == ["EventRetracted"]


def test_a_correction_applies_to_its_target_from_when_it_was_recorded(service, clock):
    slug = "correct"
    service.create_partnership(slug, formed())
    investment = draft("InvestmentMade", "2020-03", amount="100").with_id()
    service.append(slug, [investment])
    believed_at = clock.advance(days=1)
    service.append(
        slug,
        [
            draft(
                "EventCorrected",
                "2026-10-01",
                target_id=investment.id,
                fields={"occurred_on": "2022-06", "data": {"amount": "250"}},
                reason="the filing says otherwise",
            )
        ],
    )
    as_of = date(2021, 1, 1)
    old = service.state(slug, as_of=as_of, known_at=believed_at).state["investments"]["totals"]
    new = service.state(slug, as_of=as_of).state["investments"]["totals"]
    assert old == {"USD": firm_totals("100")}
    assert new == {}, "the corrected date moved it after 2021-01-01"
    assert service.state(slug).state["investments"]["totals"]["USD"]["firm"] == "250"
    assert service.event(slug, investment.id).current["data"]["amount"]["value"] == "250"


def test_a_partial_date_counts_from_the_end_of_its_period_and_the_answer_says_so(service):
    slug = "partial"
    service.create_partnership(slug, formed())
    service.append(slug, [draft("InvestmentMade", "2023-11")])
    answer = service.state(slug, as_of=date(2023, 11, 20))
    assert answer.state["investments"]["totals"] == {}
    assert [(p.occurred_on, p.counts_from) for p in answer.not_yet_counted] == [
        ("2023-11", "2023-11-30")
    ]
    assert service.state(slug, as_of=date(2023, 11, 30)).state["investments"]["totals"]


def test_a_series_is_the_state_at_each_point(service):
    slug = "series"
    service.create_partnership(slug, formed())
    service.view.checkpoint_interval = 2
    for year in range(2019, 2025):
        service.append(slug, [draft("InvestmentMade", f"{year}-06-01", amount="10")])
    points = [date(y, 1, 1) for y in range(2019, 2026)]
    series = service.series(slug, points).points
    assert [p["invested"].get("USD", {}).get("firm") for p in series] == [
        None,
        "10",
        "20",
        "30",
        "40",
        "50",
        "60",
    ]
    assert [p["trust"] for p in series] == [
        service.state(slug, as_of=point).state["trust"]["score"] for point in points
    ]


def test_cross_partnership_reads_as_of_a_date(service):
    for slug in ("a-b", "c-d"):
        service.create_partnership(slug, formed())
        service.append(
            slug, [draft("InvestmentMade", "2020-01-01"), draft("DisputeOpened", "2021")]
        )
    service.append("c-d", [draft("InvestmentMade", "2024-01-01", currency="EUR")])
    investments = service.investments(as_of=date(2022, 1, 1))
    assert investments.totals == {"USD": firm_totals("2000000000")}
    disputes = service.disputes(as_of=date(2022, 1, 1)).disputes
    assert {d.partnership for d in disputes if d.status == "open"} == {"a-b", "c-d"}
    assert service.disputes(as_of=date(2021, 6, 1)).disputes == []
