"""The pure core: knowledge, geography, themes and matching (no I/O beyond loading content)."""
