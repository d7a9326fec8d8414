"""The working-day calendar adapter (implements ``tenderhub.core.shared.days.WorkdayCalendar``)."""

from tenderhub.calendar.legal import SUPPORTED_YEARS, LegalCalendar
from tenderhub.calendar.notices import EXAMPLE_NOTICE, Notice, load_notice, parse_notice

__all__ = [
    "EXAMPLE_NOTICE",
    "SUPPORTED_YEARS",
    "LegalCalendar",
    "Notice",
    "load_notice",
    "parse_notice",
]
