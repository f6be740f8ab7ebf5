"""Editing the knowledge: forms from the models, minimal YAML edits, the spreadsheet round trip."""
