"""Bulk imports of profiles and entity records, pure: no clock, no randomness, no I/O.

- `rows`: bytes framed into records, the CSV header and NDJSON objects read, profile rows
  parsed and validated into rows to stage; the import operation feeds it the stream and
  copies what it returns into Postgres.
- `entity_rows`: the same records as one entity type's rows, with the API's checks.
"""
