"""Notification delivery: the dispatcher that drains the outbox on Antom's retry schedule."""
