"""Use cases. Each public call owns one unit of work (one database transaction)."""
