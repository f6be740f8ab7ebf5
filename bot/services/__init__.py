"""The async services: the citizen turn, the outbox courier, privacy; and the ports they need."""
