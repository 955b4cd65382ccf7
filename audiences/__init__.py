"""The audience rule language of Wayline, pure: no clock, no randomness, no I/O.

- `rules`: the rule tree (validation with paths, dependencies, reference semantics).
- `sql`: the compiler of a rule to parameterised SQL over `profiles p`.
- `problems`: a problem with its path, shared with the journey validator.

The API validates with it, the audience activities and the rechecker compile and read it;
none of it imports temporalio, asyncpg, httpx or fastapi.
"""
