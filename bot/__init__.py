"""Comptoir: orientation chat-bot for social-innovation project holders."""
