"""Signals intake sends for later apps, which intake may not import (dependencies run one way).

A signal is only for a later app that must react at once to something intake does: scoring
(docs/scoring.md, "Reports") and messaging (docs/decisions/0006, the acknowledgment).
"""

from django.dispatch import Signal

# Sent inside submit_report's transaction with `report` (the new Report), so that a receiver's
# writes commit or roll back with it. scoring gives the report its preliminary priority; messaging
# puts an account holder's acknowledgment in its outbox (anonymous ones intake mails itself).
report_submitted = Signal()
