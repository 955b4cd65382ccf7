"""When each person reads: the engagement model behind send-time optimisation (pure)."""
