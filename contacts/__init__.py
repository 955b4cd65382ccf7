"""Contact addresses (email, E.164 phone, push token): the rules checked where an address
enters Wayline and again before anything is sent to it. Pure: no I/O, no clock."""
