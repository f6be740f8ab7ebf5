"""Durable storage: `sql.SqlStore` (SQLite or PostgreSQL, migrated by Alembic) implements
`bot.ports.Store`; `memory.MemoryStore` is the in-memory fake honouring the same contract."""
