"""The pure domain: dates in, dates out. No database, no clock, no environment, no templates or channels.

Modules: durations, businessdays, dates (calendar arithmetic), terms, recurrence, occurrences, kinds,
ids, money, consequences, reminders (stages and routing), specs (input validation), settings, timezones.
"""
