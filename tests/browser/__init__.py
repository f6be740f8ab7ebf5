"""Browser tests of the web chat: Playwright driving Debian's Chromium against a real server."""
