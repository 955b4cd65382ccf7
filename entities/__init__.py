"""Entity types (decision 15): definitions, their checks, and the SQL they become.

Pure: no I/O. `services/entities.py` runs what this package builds.
"""
