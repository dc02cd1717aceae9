"""End to end, through a real HTTP server on SQLite and PostgreSQL: the README's calls, retries,
two clients racing on If-Match, and paging the log while another client appends."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ADMIN, ROOT, Answer, Server, running_server

SLUG = "openai-microsoft"


def investment(amount: str = "100", **changes: Any) -> dict[str, Any]:
    return {
        "type": "InvestmentMade",
        "occurred_on": "2024-02",
        "summary": "Microsoft adds to its stake",
        "data": {"investor": "Microsoft", "amount": amount, "currency": "USD",
                 "instrument": "equity", "status": "paid"},
        **changes,
    }  # fmt: skip


def test_the_first_start_loads_the_example_timeline(server: Server) -> None:
    answer = server.call("GET", "/v1/partnerships", token=None)
    assert answer.status == 200
    assert [p["slug"] for p in answer.body["partnerships"]] == [SLUG]
    assert answer.body["partnerships"][0]["events"] == 37  # 38 less an attached source


def test_the_readme_calls(server: Server) -> None:
    appended = server.call("POST", f"/v1/partnerships/{SLUG}/events", investment())
    assert appended.status == 201
    assert appended.headers["Location"].endswith(appended.body["id"])
    position = appended.body["position"]
    now = server.call("GET", f"/v1/partnerships/{SLUG}/state?min_position={position}", token=None)
    assert now.status == 200
    assert now.body["position"] >= position
    then = server.call("GET", f"/v1/partnerships/{SLUG}/state?as_of=2023-11-20", token=None)
    assert then.body["as_of"] == "2023-11-20"
    assert then.body["state"]["events"] < now.body["state"]["events"]
    timeline = server.call("GET", f"/v1/partnerships/{SLUG}/events?limit=5", token=None)
    assert len(timeline.body["events"]) == 5
    assert timeline.body["next"]
    log = server.call("GET", "/v1/events?after=0&limit=5", token=None)
    assert [e["specversion"] for e in log.body["events"]] == ["1.0"] * 5


def test_writes_need_a_token(server: Server) -> None:
    answer = server.call("POST", f"/v1/partnerships/{SLUG}/events", investment(), token=None)
    assert answer.status == 401
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_retried_append_stores_once(server: Server) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = server.call("POST", f"/v1/partnerships/{SLUG}/events", investment(), headers)
    again = server.call("POST", f"/v1/partnerships/{SLUG}/events", investment(), headers)
    assert first.status == again.status == 201
    assert first.body == again.body
    other = server.call("POST", f"/v1/partnerships/{SLUG}/events", investment("7"), headers)
    assert other.status == 422
    state = server.call("GET", f"/v1/partnerships/{SLUG}/state", token=None)
    assert state.body["version"] == 39


def test_two_clients_racing_on_if_match_one_wins(server: Server) -> None:
    version = server.call("GET", f"/v1/partnerships/{SLUG}/state").body["version"]
    start = threading.Barrier(2)
    answers: list[Answer] = []

    def client(amount: str) -> None:
        start.wait()
        answers.append(
            server.call(
                "POST", f"/v1/partnerships/{SLUG}/events", investment(amount),
                {"If-Match": f'"{version}"'},
            )
        )  # fmt: skip

    threads = [threading.Thread(target=client, args=(a,)) for a in ("1", "2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status for a in answers) == [201, 412]
    loser = next(a for a in answers if a.status == 412)
    assert loser.body["current_version"] == version + 1
    assert server.call("GET", f"/v1/partnerships/{SLUG}/state").body["version"] == version + 1


def test_paging_the_log_while_another_client_appends_sees_each_event_once(
    server: Server,
) -> None:
    writes = 20
    done = threading.Event()

    def writer() -> None:
        for n in range(writes):
            server.call("POST", f"/v1/partnerships/{SLUG}/events", investment(str(n + 1)))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[str] = []
    positions: list[int] = []
    after = 0
    while True:
        page = server.call("GET", f"/v1/events?after={after}&limit=5").body
        seen += [event["id"] for event in page["events"]]
        positions += [event["position"] for event in page["events"]]
        after = page["position"]
        if not page["events"] and done.is_set():
            final = server.call("GET", f"/v1/events?after={after}&limit=5").body
            if not final["events"]:
                break
    thread.join()
    assert len(seen) == len(set(seen)) == 38 + writes
    assert positions == sorted(positions)
    everything = server.call("GET", "/v1/events?limit=1000").body["events"]
    assert seen == [event["id"] for event in everything]


def test_the_cli_manages_tokens_beside_a_running_server(server: Server) -> None:
    created = server.cli("token", "create", "--name", "e2e", "--scope", "read")
    assert created.returncode == 0, created.stderr
    token_id, secret = created.stdout.split()[1], created.stdout.strip().splitlines()[-1]
    assert server.call("GET", f"/v1/partnerships/{SLUG}/trust", token=secret).status == 200
    assert server.call("POST", f"/v1/partnerships/{SLUG}/events", investment(),
                       token=secret).status == 403  # fmt: skip
    assert server.cli("token", "revoke", token_id).returncode == 0
    assert server.call("GET", f"/v1/partnerships/{SLUG}/trust", token=secret).status == 401
    listed = server.cli("token", "list")
    assert "e2e" in listed.stdout
    assert secret not in listed.stdout
    assert ADMIN not in listed.stdout


def test_verify_and_load_from_the_cli(server: Server, tmp_path: Any) -> None:
    verified = server.cli("verify")
    assert verified.returncode == 0, verified.stderr
    assert f"{SLUG}: ok" in verified.stdout
    again = server.cli("load", str(ROOT / "examples" / "openai-microsoft.jsonl"))
    assert again.returncode == 0, again.stderr
    assert "0 events added, 38 already there" in again.stdout


def test_the_first_start_prints_an_admin_token_that_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/first.sqlite"
    with running_server(url, tmp_path, PACTLOG_ADMIN_TOKEN="") as (server, output):
        printed = re.search(r"admin token \(shown once\): (\S+)", output.read_text())
        assert printed is not None, output.read_text()
        created = server.call(
            "POST",
            "/v1/partnerships",
            {
                "slug": "acme-globex",
                "name": "Acme–Globex",
                "parties": ["Acme", "Globex"],
                "occurred_on": "2020",
            },
            token=printed[1],
        )
        assert created.status == 201


def test_concurrent_clients_lose_and_duplicate_nothing(server: Server) -> None:
    clients, each = 8, 5
    failures: list[Answer] = []

    def client(number: int) -> None:
        for n in range(each):
            answer = server.call(
                "POST", f"/v1/partnerships/{SLUG}/events", investment(f"{number}{n + 1}")
            )
            if answer.status != 201:
                failures.append(answer)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    log = server.call("GET", "/v1/events?limit=1000").body["events"]
    positions = [event["position"] for event in log]
    assert len(log) == 38 + clients * each
    assert positions == sorted(set(positions))
    assert [event["streamversion"] for event in log] == list(range(1, len(log) + 1))
