"""Snapshots of a stream are taken of the aggregate just saved, whenever an append reaches a
multiple of the interval (500 events): a stream loaded from one reads as one replayed whole."""

from __future__ import annotations

from service.pactlog import PactlogService
from service.write.store import Streams, project_partnership
from service.write.stream import stream_id
from tests.builders import SLUG, draft, formed


def test_a_stream_loaded_from_its_snapshots_is_the_stream_replayed(database_url, clock):
    service = PactlogService(database_url, clock=clock, project_inline=False)
    service.create_partnership(SLUG, formed())
    for size in (300, 450, 1, 700):  # versions 301, 751 (past 500), 752, 1452 (past 1000)
        service.append(SLUG, [draft("ModelReleased") for _ in range(size)])
    app = service.app
    assert app.snapshots is not None
    taken = [s.originator_version for s in app.snapshots.get(stream_id(SLUG))]
    assert taken == [751, 1452]
    replayed = project_partnership(None, app.events.get(stream_id(SLUG)))
    assert replayed is not None
    app.repository.cache.clear()  # type: ignore[union-attr]
    loaded = Streams(app).load(SLUG, fresh=False)
    assert loaded.version == replayed.version == 1452
    assert loaded.last_hash == replayed.last_hash
    assert loaded.entities == replayed.entities
    assert service.verify(SLUG).ok
    service.append(SLUG, [draft("ModelReleased")])
    assert service.verify(SLUG).ok
    service.close()
