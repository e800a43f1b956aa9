"""Planning and tracking fixes per affected product version."""

from django.db import transaction

from vulndesk.accounts.models import User
from vulndesk.catalog.models import ProductVersion, Team
from vulndesk.core.errors import RuleViolation
from vulndesk.core.services import change_state, enter_initial_state, record_event
from vulndesk.messaging.events import announce_release_scheduled
from vulndesk.remediation.models import Fix
from vulndesk.scoring.models import Vulnerability
from vulndesk.triage.models import Case
from vulndesk.triage.services import transition_case


@transaction.atomic
def create_fix(
    vulnerability: Vulnerability,
    product_version: ProductVersion,
    *,
    actor: User,
    team: Team | None = None,
    target_release_id: int | None = None,
) -> Fix:
    """Plan a fix; the product's owning team takes it unless another team is named.

    The case's first fix starts its remediation.
    """
    if Fix.objects.filter(vulnerability=vulnerability, product_version=product_version).exists():
        raise RuleViolation(
            f"{vulnerability.reference} already has a fix for {product_version}.", field="product_version_id"
        )
    fix = Fix.objects.create(
        vulnerability=vulnerability,
        product_version=product_version,
        team=team or product_version.product.owning_team,
        target_release_id=target_release_id,
    )
    enter_initial_state(fix, actor=actor)
    if fix.target_release is not None:
        announce_release_scheduled(vulnerability.case, fix.target_release)  # the researchers' threads
    case = vulnerability.case
    if case.state == Case.State.OPEN:
        transition_case(case, Case.State.REMEDIATING, actor=actor, reason=f"First fix planned: {fix}")
    return fix


@transaction.atomic
def transition_fix(fix: Fix, to: str, *, actor: User | None, reason: str = "", fixed_version: str = "") -> Fix:
    changes = {"fixed_version": fixed_version.strip()} if fixed_version.strip() else {}
    if to == Fix.State.WONT_FIX and not reason.strip():
        raise RuleViolation("Say why this version will not be fixed; the rationale is recorded.", field="reason")
    return change_state(fix, to, actor=actor, reason=reason.strip(), changes=changes)


@transaction.atomic
def set_fix_target_release(fix: Fix, target_release_id: int | None, *, actor: User) -> Fix:
    if fix.state == Fix.State.RELEASED:
        raise RuleViolation("A released fix cannot move to another release.", field="target_release_id")
    before = fix.target_release_id
    fix.target_release_id = target_release_id
    fix.save(update_fields=["target_release", "updated_at"])
    record_event(fix, tag="fix:retargeted", actor=actor, changes={"target_release": (before, target_release_id)})
    if fix.target_release is not None and target_release_id != before:
        announce_release_scheduled(fix.vulnerability.case, fix.target_release)  # the researchers' threads
    return fix
