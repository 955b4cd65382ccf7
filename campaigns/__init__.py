"""Campaign planning, pure: no clock, no randomness, no I/O.

- `plan`: message ids, local send times, batches, throttle and ramp-up; the campaign
  workflow passes `workflow.now()` in, so it replays deterministically.
"""
