"""Channels translate between a transport's messages and channel-neutral Inbound/Reply values."""
