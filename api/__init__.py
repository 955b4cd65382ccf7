"""Wayline HTTP API (FastAPI): `api.app.create_app` builds it."""
