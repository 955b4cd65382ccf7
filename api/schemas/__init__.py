"""Request and response models: `*Create`/`*Update` bodies, `*Public` answers."""
