"""The dashboard page as a person sees it: the example timeline, its charts, replaying a date,
and an event appearing live. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.browser.conftest import PHONE, screenshot
from tests.e2e.conftest import Server

SLUG = "openai-microsoft"


def state(server: Server, **query: str) -> dict[str, Any]:
    args = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    answer = server.call("GET", f"/v1/partnerships/{SLUG}/state?{args}")
    assert answer.status == 200, answer.body
    return dict(answer.body["state"])


def timeline_count(server: Server) -> int:
    answer = server.call("GET", f"/v1/partnerships/{SLUG}/events?limit=1000")
    return len(answer.body["events"])


def trust_shown(page: Any) -> float:
    return float(page.locator("#trust-figure").get_attribute("data-value"))


def test_the_page_loads_with_the_example_timeline(server: Server, page: Any) -> None:
    page.goto(server.base + "/")
    assert page.locator("#headline-title").inner_text().startswith("OpenAI–Microsoft")
    events = page.locator("#timeline > li")
    assert events.count() == 20  # a page of them, newest first
    assert page.locator("#timeline-title .count").inner_text() == str(timeline_count(server))
    assert page.locator("#timeline-page").inner_text() == "Page 1 of 2"
    with page.expect_navigation():
        page.get_by_role("link", name="Older →").click()
    oldest = page.locator("#timeline > li").last
    assert oldest.locator("time").inner_text() == "2019-07-22"
    assert oldest.locator(".confidence").inner_text() == "confirmed"
    cited = oldest.locator(".sources a").first
    assert cited.get_attribute("href", timeout=1000).startswith("https://openai.com/")
    page.goto(server.base + "/")
    assert trust_shown(page) == state(server)["trust"]["score"]
    assert page.get_by_label("Partnership").input_value() == SLUG
    screenshot(page, "dashboard-laptop")
    page.set_viewport_size(PHONE)
    # Readable on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "dashboard-phone")


def test_each_chart_has_one_point_per_point_of_the_series_endpoint(
    server: Server, page: Any
) -> None:
    page.goto(server.base + "/?as_of=2024-06-30")
    series_url = page.locator("#charts").get_attribute("data-series-url")
    points = server.call("GET", series_url).body["points"]
    assert len(points) > 10
    assert page.locator("#trust-chart circle.point").count() == len(points)
    assert page.locator("#trust-chart .series").get_attribute("data-points") == str(len(points))
    invested = page.locator("#invested-chart .series")
    assert invested.count() == 3  # USD firm, contingent, paid
    for index in range(invested.count()):
        assert invested.nth(index).locator("circle.point").count() == len(points)
    last = page.locator("#trust-chart circle.point").last.locator("title").text_content()
    assert last == f"{points[-1]['at']}: {points[-1]['value']}"


def test_moving_the_date_control_replays_the_trust_figure_the_api_gives_for_that_date(
    server: Server, page: Any
) -> None:
    page.goto(server.base + "/")
    now = trust_shown(page)
    page.get_by_label("As of").fill("2023-11-20")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expected = state(server, as_of="2023-11-20")["trust"]["score"]
    assert expected != now
    assert trust_shown(page) == expected
    assert page.locator("#trust-figure").inner_text() == f"{expected:.1f}"
    assert "2023-11-20" in page.locator("#knowledge").inner_text()
    assert page.locator(".errors").count() == 0  # the empty "As known on" is no error
    screenshot(page, "dashboard-as-of-2023-11-20")

    # The replay slider, by keyboard: Home goes to the first day, and the page replays it.
    slider = page.get_by_label("Replay")
    with page.expect_navigation():
        slider.focus()
        page.keyboard.press("Home")
    first_day = page.locator("#replay").get_attribute("data-first")
    assert page.get_by_label("As of").input_value() == first_day
    assert trust_shown(page) == state(server, as_of=first_day)["trust"]["score"]

    # "As known on" a day before anything was recorded: nothing known yet.
    before = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    page.get_by_label("As of").fill("")
    page.get_by_label("As known on").fill(before)
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert trust_shown(page) == state(server, known_at=before)["trust"]["score"]
    assert page.locator("#timeline > li").count() == 0


def test_an_event_appended_through_the_api_appears_without_a_reload(
    server: Server, page: Any
) -> None:
    page.goto(server.base + f"/?partnership={SLUG}")
    page.evaluate("window.sameDocument = true")
    before = page.locator("#timeline > li").count()
    page.wait_for_function("document.getElementById('live-status').textContent.startsWith('Live')")
    event = {
        "type": "StatementMade",
        "occurred_on": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
        "summary": "A browser test says hello, live",
        "sources": [
            {"title": "Live", "url": "https://example.org/live", "publisher": "pactlog tests"}
        ],
        "confidence": "rumored",
        "data": {"speaker": "pactlog tests", "organization": "pactlog", "statement": "hello"},
    }
    answer = server.call("POST", f"/v1/partnerships/{SLUG}/events", event)
    assert answer.status == 201, answer.body
    item = page.locator(f'#timeline > li[data-position="{answer.body["position"]}"]')
    item.wait_for(state="visible")
    assert "A browser test says hello, live" in item.inner_text()
    assert item.locator(".confidence").inner_text() == "rumored"
    assert page.locator("#timeline > li").first.get_attribute("data-position") == str(
        answer.body["position"]
    )  # newest first
    assert page.locator("#timeline > li").count() == min(before + 1, 20)
    assert page.evaluate("window.sameDocument") is True  # not reloaded
    assert "A browser test says hello" in page.locator("#live-status").inner_text()
    screenshot(page, "dashboard-live-event")


def test_the_as_of_charts_end_at_the_as_of_state_and_start_at_formation(
    server: Server, page: Any
) -> None:
    page.goto(server.base + f"/?partnership={SLUG}&as_of=2023-11-20")
    points = page.locator("#trust-chart circle.point")
    first = points.first.locator("title").text_content()
    last = points.last.locator("title").text_content()
    assert first.startswith("2019-07-22: ")  # formation, not before
    expected = state(server, as_of="2023-11-20")["trust"]["score"]
    assert last == f"2023-11-20: {expected}"  # the replay's own point, the headline's figure
    assert trust_shown(page) == expected
    screenshot(page, "dashboard-as-of-chart")


def test_the_timeline_filters_by_type_confidence_and_words_and_pages(
    server: Server, page: Any
) -> None:
    page.goto(server.base + f"/?partnership={SLUG}")
    page.get_by_label("Type").select_option("DisputeOpened")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    types = page.locator("#timeline > li .type").all_inner_texts()
    assert types
    assert set(types) == {"DisputeOpened"}
    page.get_by_label("Confidence").select_option("reported")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    confidences = page.locator("#timeline > li .confidence").all_inner_texts()
    assert "rumored" not in confidences
    assert len(confidences) == len(types) - 1  # the rumored one is gone
    with page.expect_navigation():
        page.get_by_role("link", name="Clear").click()
    page.get_by_label("Words").fill("altman")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    found = page.locator("#timeline > li").all_inner_texts()  # summaries and sources
    assert len(found) >= 2
    assert all("altman" in text.lower() for text in found)
    assert page.locator("#timeline-page").count() == 0  # one page
    screenshot(page, "dashboard-timeline-filtered")
    page.get_by_label("Words").fill("no such words anywhere")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert page.locator("#timeline > li").count() == 0
    assert page.locator("#timeline-empty").inner_text() == "No event matches."


def test_the_landing_partnership_is_the_remembered_one_else_the_most_recently_active(
    server: Server, page: Any
) -> None:
    for slug, name in (("aaa-first", "Aaa–First"), ("zzz-busy", "Zzz–Busy")):
        created = server.call(
            "POST",
            "/v1/partnerships",
            {"slug": slug, "name": name, "parties": ["A", "B"], "occurred_on": "2024"},
        )
        assert created.status == 201, created.body
    page.goto(server.base + "/")
    assert page.get_by_label("Partnership").input_value() == "zzz-busy"  # the latest event
    page.goto(server.base + f"/?partnership={SLUG}")
    page.goto(server.base + "/")
    assert page.get_by_label("Partnership").input_value() == SLUG  # remembered


def test_the_page_has_an_icon(server: Server, page: Any) -> None:
    page.goto(server.base + "/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    icon = page.request.get(server.base + href)
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert page.request.get(server.base + "/favicon.ico").status == 200
