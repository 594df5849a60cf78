"""Date text in the official format ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` with an explicit zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_epoch_millis(millis: int, zone: tzinfo) -> str:
    """Format epoch milliseconds like Java's ``SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZ")``.

    The offset is written ``+HHMM`` (``+0000`` for UTC, never ``Z``). The calendar is the
    proleptic Gregorian one (Java switches to the Julian calendar before 1582-10-15).
    Raises ``ValueError`` for instants outside the years 1..9999.
    """
    try:
        local = (_EPOCH + timedelta(milliseconds=millis)).astimezone(zone)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"date {millis} ms since the epoch is outside the years 1..9999") from exc
    offset = local.utcoffset() or timedelta(0)
    total_minutes = int(offset.total_seconds() / 60)  # truncates toward zero like Java
    sign = "-" if total_minutes < 0 else "+"
    hours, minutes = divmod(abs(total_minutes), 60)
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}T"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}.{local.microsecond // 1000:03d}"
        f"{sign}{hours:02d}{minutes:02d}"
    )
