"""Verification codes: giving a run the 2FA code (or the message) it waits for."""
