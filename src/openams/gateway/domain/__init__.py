"""Payments, refunds and captures as pure Python: states, one transition table, rules."""
