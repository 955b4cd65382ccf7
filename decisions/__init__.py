"""Decisioning, pure: the offer catalog's model, eligibility, ranking, caps and selection.

No clock, no random source, no I/O: `services/decisions.py` reads the catalog, the profile
and the counters, passes `now` and the request's seed, and takes caps in its transaction.
"""
