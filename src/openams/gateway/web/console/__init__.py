"""The merchant console: sign-in, payments, keys and settings, under ``/console``."""
