"""Reminders and invites, exactly once: channels, the planner, the outbox and the passes that drive them.

- ``channels`` / ``masking``: where messages go (Apprise), with secrets masked;
- ``planner``: what a pass queues (pure stage rules in :mod:`tracker.domain.reminders`);
- ``outbox``: claim, lease, mark, retry (the exactly-once machinery);
- ``passes``: one pass end to end, and its report.

Wording lives in :mod:`tracker.services.wording`.
"""
