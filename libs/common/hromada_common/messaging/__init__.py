"""How events travel: topology, transactional outbox, relay and reliable consumers."""
