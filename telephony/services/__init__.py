"""My services: the services of an account and their renewal (seed 004)."""
