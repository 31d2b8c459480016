"""Use cases: one function per thing a user does, taking a session and a Context, returning typed views."""
