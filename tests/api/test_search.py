"""`GET /v1/search` and `GET /v1/partnerships/{slug}/search` over HTTP."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.helpers import SLUG, fields_named, problem


def test_a_search_answers_ranked_hits_with_highlighted_snippets(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    answer = client.get("/v1/search?q=board+altman", headers=reader)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["terms"] == ["board", "altman"]
    assert body["position"] == len(loaded)
    hits = body["hits"]
    assert hits
    ranks = [hit["rank"] for hit in hits]
    assert ranks == sorted(ranks)
    assert ranks[0] == 1
    assert "<mark>Altman</mark>" in hits[0]["snippet"]
    assert hits[0]["event"]["id"] == hits[0]["id"]
    first = [h["occurred_on"] for h in hits if h["rank"] == 1]
    assert first == sorted(first, reverse=True)


def test_one_partnerships_search_takes_the_timelines_filters_and_pages(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]], acme: str
) -> None:
    url = f"/v1/partnerships/{SLUG}/search?q=microsoft&limit=3"
    first = client.get(url, headers=reader).get_json()
    assert {hit["partnership"] for hit in first["hits"]} == {SLUG}
    assert first["next"]
    second = client.get(first["next"], headers=reader).get_json()
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    filtered = client.get(
        f"/v1/search?q=microsoft&partnership={SLUG}&type=InvestmentMade&as_of=2023-06-30",
        headers=reader,
    ).get_json()
    assert filtered["hits"]
    assert {hit["type"] for hit in filtered["hits"]} == {"InvestmentMade"}
    assert all(hit["occurred_on"] <= "2023-06-30" for hit in filtered["hits"])
    assert (
        client.get(f"/v1/partnerships/{acme}/search?q=microsoft", headers=reader).get_json()["hits"]
        == []
    )


def test_a_search_without_words_or_with_a_foreign_cursor_is_a_422(
    client: FlaskClient, reader: dict[str, str], acme: str
) -> None:
    assert fields_named(problem(client.get("/v1/search?q=%E2%80%A6", headers=reader), 422)) == {"q"}
    assert fields_named(problem(client.get("/v1/search", headers=reader), 422)) == {"q"}
    bad = client.get("/v1/search?q=acme&cursor=Zm9v", headers=reader)
    assert fields_named(problem(bad, 422)) == {"cursor"}
    problem(client.get("/v1/partnerships/nobody-here/search?q=acme", headers=reader), 404)


def test_the_dashboards_timeline_filter_finds_words_by_search(
    client: FlaskClient, admin: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    page = client.get(f"/?partnership={SLUG}&q=Nadella+governance", headers=admin)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1 event match" in html
    assert "Satya Nadella says OpenAI" in html
    accents = client.get(f"/?partnership={SLUG}&q=NADÉLLA+GOVERNANCE", headers=admin)
    assert "1 event match" in accents.get_data(as_text=True)
    nothing = client.get(f"/?partnership={SLUG}&q=%E2%80%A6", headers=admin)
    assert "No event matches." in nothing.get_data(as_text=True)


def test_the_timeline_takes_words_and_keeps_its_order_and_shape(
    client: FlaskClient, reader: dict[str, str], loaded: list[dict[str, Any]]
) -> None:
    timeline = f"/v1/partnerships/{SLUG}/events"
    hits = client.get(f"/v1/partnerships/{SLUG}/search?q=microsoft&limit=200", headers=reader)
    found = {hit["id"] for hit in hits.get_json()["hits"]}
    assert 2 < len(found) < len(loaded)
    seen: list[dict[str, Any]] = []
    url: str | None = f"{timeline}?q=microsoft&limit=2"
    while url:
        page = client.get(url, headers=reader)
        assert page.status_code == 200
        seen += page.get_json()["events"]
        url = page.get_json()["next"]
    assert [e["id"] for e in seen if e["id"] in found] == [e["id"] for e in seen]
    assert {e["id"] for e in seen} == found
    assert [e["occurred_on"] for e in seen] == sorted(e["occurred_on"] for e in seen)
    no_words = client.get(f"{timeline}?q=%E2%80%A6", headers=reader)
    assert fields_named(problem(no_words, 422)) == {"q"}
    exported = client.get(
        f"/v1/export/timeline?partnership={SLUG}&q=microsoft&format=jsonl", headers=reader
    )
    assert exported.status_code == 200
    assert len(exported.get_data(as_text=True).splitlines()) == len(found)
