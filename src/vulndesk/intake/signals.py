"""Signals intake sends for later apps, which intake may not import (dependencies run one way).

A signal is only for a later app that must react at once to something intake does: scoring
(docs/scoring.md, "Reports") and messaging (docs/decisions/0006, the acknowledgment).
"""

from django.dispatch import Signal

# Sent inside submit_report with `report`, the new Report not yet saved, so that a receiver can
# fill in what it derives from the submission and it is saved with the rest: scoring sets the
# preliminary priority. Receivers write nothing else.
report_prepared = Signal()

# Sent inside submit_report's transaction with `report` (the new Report, saved), so that a
# receiver's writes commit or roll back with it: messaging puts an account holder's
# acknowledgment in its outbox (anonymous ones intake mails itself).
report_submitted = Signal()
