"""Signals triage sends for later apps, which triage may not import (dependencies run one way).

Business flow within and towards earlier apps is plain service calls; a signal is only for a
later app that must react at once to something triage does (see docs/scoring.md, "Reports").
"""

from django.dispatch import Signal

# Sent inside add_report_to_case's transaction with `link` (the new CaseReport), so that a
# receiver's writes commit or roll back with the link. scoring gives the report its case's priority.
report_joined_case = Signal()
