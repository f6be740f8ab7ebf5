"""Fakes that are real code: servers and stores our tests run the real libraries against."""
