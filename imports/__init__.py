"""Bulk profile imports, pure: no clock, no randomness, no I/O.

- `rows`: bytes framed into records, parsed and validated into rows to stage; the import
  operation feeds it the stream and copies what it returns into Postgres.
"""
