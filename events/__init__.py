"""pactlog: the domain language — event types, their schemas, the catalog and the write rules."""
