"""Content shared by every template: fragments and locale variants (pure: no I/O)."""
