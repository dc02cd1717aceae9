"""What if, on both stores: the default policy folded again from the rows equals the stored
answer exactly, at every cut; another policy leaves the stored answers as they were."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from service.policies import DEFAULT, NamedPolicy, check_policy
from service.projections.policy import default_policy
from service.steps import Step
from tests.integration.test_bitemporal import as_of_dates, operations, perform, stream

_slugs = (f"whatif-{n}" for n in itertools.count())


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_what_if_with_the_default_policy_equals_the_stored_answer_exactly(service, steps):
    service.view.checkpoint_interval = 3  # the stored answers come from checkpoints too
    slug = next(_slugs)
    perform(service, slug, steps)
    events = stream(service, slug)
    default = NamedPolicy(DEFAULT, default_policy())
    for known_at in (None, events[len(events) // 2].recorded_at):
        for as_of in as_of_dates(events):
            answer = service.what_if(slug, default, as_of, known_at)
            assert answer.trust == answer.stored.trust
            assert answer.contributions == answer.stored.contributions
            assert answer.differing == []
        series = service.metric_series(slug, "trust", step=Step.QUARTER, known_at=known_at)
        assert service.what_if_series(series, default) == series.points


def test_another_policy_leaves_the_stored_answers_as_they_were(service):
    slug = next(_slugs)
    perform(service, slug, [("DisputeOpened", "2023-05", "a"), ("TrustSignal", "2023-06", "3")])
    before = service.trust(slug)
    harsh = NamedPolicy("harsh", check_policy({"effects": {"DisputeOpened": -40}}))
    answer = service.what_if(slug, harsh)
    assert answer.trust["score"] < before.trust["score"]
    assert [d["type"] for d in answer.differing] == ["DisputeOpened"]
    assert service.trust(slug) == before
