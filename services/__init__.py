"""Domain operations shared by the API and the workers: they do I/O, raise `services.errors`."""
