"""Dialogs as data and the generic interpreter that runs them."""
