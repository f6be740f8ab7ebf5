"""The aiohttp application: health checks and the Telegram webhook."""
