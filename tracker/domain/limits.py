"""The range of dates the tracker accepts: wide enough for any real contract, far from the calendar's ends.

Kept in a module of its own, with no imports, so the command line can check dates without loading the
validation layer.
"""

from datetime import date

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
DATE_EXPECTED = f"a real calendar date YYYY-MM-DD between {EARLIEST} and {LATEST}"
