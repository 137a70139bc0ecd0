"""Widgets, delegates and dialogs."""
