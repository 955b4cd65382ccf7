"""Destination activities: streams, files and advertising uploads (issue 17.7)."""
