"""A notification's id: its documented shape, and that it fits the columns that hold it
(SQLite stores a longer one without complaint; PostgreSQL refuses it, and with it every
notification)."""

from __future__ import annotations

import re

from openams.gateway.domain.notification import new_notification_id
from openams.gateway.store.tables import notification_attempts, notifications


def test_an_id_is_n_then_the_instant_then_56_random_bits_and_fits_its_columns() -> None:
    ids = [new_notification_id() for _ in range(200)]
    for made in ids:
        assert re.fullmatch(r"N[0-9a-f]{16}[0-9a-f]{14}", made), made
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # made one after another, they sort one after another
    for table in (notifications, notification_attempts):
        width = table.c.notification_id.type.length
        assert width is not None and max(len(made) for made in ids) <= width
