"""English dates as the minutes write them: "1 December 2026", "1 December 2026, 18:02" (Django's
default English is the American "Dec. 1, 2026")."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
