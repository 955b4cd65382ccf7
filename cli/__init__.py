"""The `wayline` command: entry point, the dev stack launcher and the bulk import."""
