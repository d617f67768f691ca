"""Norwegian dates for the pages and minutes: "1. desember 2026", "1. desember 2026 kl. 18.02".

Month names come from Django's own catalogue; only the patterns are ours (Django's nb/nn DATETIME_FORMAT
has no "kl." and its TIME_FORMAT a colon, where Norwegian writing has "kl. 18.02").
"""

DATE_FORMAT = "j. F Y"
DATETIME_FORMAT = r"j. F Y \k\l. H.i"
TIME_FORMAT = "H.i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H.i"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
