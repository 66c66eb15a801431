"""The one place that knows what time it is.

`MEDSEC_NOW` freezes "now" for tests, demos and the NLU time extractor; otherwise the wall clock.
All datetimes handed around in clinic/ are timezone-aware; they are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from clinic.config import get_settings


def now() -> datetime:
    """The current moment, aware, in UTC."""
    frozen = get_settings().frozen_now
    return frozen.astimezone(UTC) if frozen else datetime.now(UTC)


def clinic_tz() -> ZoneInfo:
    return get_settings().tz


def local_now() -> datetime:
    """The current moment in the clinic's time zone."""
    return now().astimezone(clinic_tz())
