"""Receiving reports from researchers, with or without an account.

One service, `submit_report`, holds every rule, so the portal form, the API and (later) mail
intake accept and refuse exactly the same reports.
"""

import datetime as dt
import enum
import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import PurePosixPath
from typing import Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from vulndesk.accounts.models import User
from vulndesk.catalog.models import Product
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, Role, can
from vulndesk.core.ratelimit import count_attempt
from vulndesk.core.services import enter_initial_state, record_event
from vulndesk.core.taxonomy import ImpactType
from vulndesk.intake.filetypes import KINDS, SNIFF_BYTES, kind_claimed_by_name, sniff
from vulndesk.intake.models import (
    PUBLIC_PROGRESS_CHANGED,
    Attachment,
    CreditPreference,
    DisclosurePolicy,
    Report,
    Source,
    hash_tracking_token,
    validate_cwe,
)
from vulndesk.intake.notifications import send_anonymous_acknowledgment
from vulndesk.intake.signals import report_prepared, report_submitted
from vulndesk.lib.cvss_vectors import InvalidCvssVector, score_cvss_vector

# Every anonymous report belongs to this one inactive account: it cannot sign in, and nobody
# reads its reports except staff and whoever holds a report's tracking link.
ANONYMOUS_REPORTER_EMAIL = "anonymous-reporter@vulndesk.invalid"
HOUR = 3600
# Uploaded files from the form or the API, or files built from a mail's parts.
Upload = File[bytes]


@dataclass(frozen=True)
class ReportSubmission:
    title: str
    description: str
    product: Product | None = None
    product_other: str = ""
    affected_versions: str = ""
    impact_type: str = ""
    cwe: str = ""
    suggested_cvss_vector: str = ""
    steps_to_reproduce: str = ""
    proof_of_concept: str = ""
    is_public: bool = False
    is_exploited: bool = False
    planned_disclosure_on: dt.date | None = None
    disclosure_plans: str = ""
    credit_preference: str = CreditPreference.NAME
    credit_name: str = ""
    accepts_policy: bool = False
    contact_email: str = ""  # anonymous submissions only
    source: str = Source.WEB


@dataclass(frozen=True)
class Receipt:
    """What the submitter gets back. `tracking_token` is shown once, for anonymous reports only."""

    report: Report
    is_new: bool
    tracking_token: str = ""


def anonymous_reporter() -> User:
    user, _ = User.objects.get_or_create(
        email=ANONYMOUS_REPORTER_EMAIL,
        defaults={"role": Role.RESEARCHER, "is_active": False, "display_name": "Anonymous reporter"},
    )
    return user


def _checked_cwe(value: str) -> str:
    cwe = value.strip().upper()
    try:
        validate_cwe(cwe)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], field="cwe") from None
    return cwe


def _checked_vector(value: str) -> str:
    """The vector in canonical form (empty stays empty), or RuleViolation saying what is wrong."""
    vector = value.strip()
    if not vector:
        return ""
    if not vector.startswith(("CVSS:3.1/", "CVSS:4.0/")):
        raise RuleViolation(
            "Give a CVSS 3.1 or 4.0 vector, starting with CVSS:3.1/ or CVSS:4.0/.", field="suggested_cvss_vector"
        )
    try:
        return score_cvss_vector(vector).vector
    except InvalidCvssVector as error:
        raise RuleViolation(str(error), field="suggested_cvss_vector") from None


def _cleaned(submission: ReportSubmission, *, default_credit_name: str | None) -> dict[str, object]:
    """The submission's fields ready to store, or RuleViolation naming the first bad field."""
    title, description = submission.title.strip(), submission.description.strip()
    if not title:
        raise RuleViolation("Give the report a title.", field="title")
    if not description:
        raise RuleViolation("Describe the vulnerability.", field="description")
    if submission.product is None and not submission.product_other.strip():
        raise RuleViolation("Pick a product, or name it under 'other product'.", field="product")
    if submission.impact_type and submission.impact_type not in ImpactType.values:
        raise RuleViolation(f"Unknown impact type {submission.impact_type!r}.", field="impact_type")
    cwe = _checked_cwe(submission.cwe)
    vector = _checked_vector(submission.suggested_cvss_vector)
    if submission.credit_preference not in CreditPreference.values:
        raise RuleViolation(
            f"Credit preference must be one of: {', '.join(CreditPreference.values)}.", field="credit_preference"
        )
    credit_name = submission.credit_name.strip() or default_credit_name
    credit_preference = submission.credit_preference
    if default_credit_name is None and not credit_name:
        # Someone reporting anonymously who gave no name is not credited; nothing to ask them.
        credit_preference = CreditPreference.ANONYMOUS
    if credit_preference != CreditPreference.ANONYMOUS and not credit_name:
        raise RuleViolation("Say how we should credit you, or choose not to be credited.", field="credit_name")
    if submission.planned_disclosure_on and submission.planned_disclosure_on < timezone.localdate():
        raise RuleViolation("The planned disclosure date is in the past.", field="planned_disclosure_on")
    contact_email = submission.contact_email.strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise RuleViolation(f"{contact_email!r} is not an email address.", field="contact_email") from None
    # Mail cannot tick a box: the acknowledgment links the policy instead.
    if not submission.accepts_policy and submission.source != Source.MAIL:
        raise RuleViolation("Read and accept the disclosure policy before sending.", field="accepts_policy")
    return {
        "title": title,
        "description": description,
        "product": submission.product,
        "product_other": "" if submission.product else submission.product_other.strip(),
        "affected_versions": submission.affected_versions.strip(),
        "impact_type": submission.impact_type,
        "cwe": cwe,
        "suggested_cvss_vector": vector,
        "steps_to_reproduce": submission.steps_to_reproduce.strip(),
        "proof_of_concept": submission.proof_of_concept.strip(),
        "is_public": submission.is_public,
        "is_exploited": submission.is_exploited,
        "planned_disclosure_on": submission.planned_disclosure_on,
        "disclosure_plans": submission.disclosure_plans.strip(),
        "credit_preference": credit_preference,
        "credit_name": "" if credit_preference == CreditPreference.ANONYMOUS else credit_name,
        "contact_email": contact_email,
        "source": submission.source,
        "policy_accepted_at": timezone.now() if submission.accepts_policy else None,
    }


def _fingerprint(sender: str, fields: dict[str, object]) -> str:
    # Case and whitespace differences don't make a resubmission a new report.
    text = "\x1f".join(" ".join(str(fields[name]).split()).casefold() for name in ("title", "description"))
    return hashlib.sha256(f"{sender}\x1e{text}".encode()).hexdigest()


def _recent_duplicate(fingerprint: str) -> Report | None:
    since = timezone.now() - dt.timedelta(minutes=settings.INTAKE_DUPLICATE_WINDOW_MINUTES)
    # The id first: nearly every submission is new, and a one-column query is quicker to build.
    earlier = Report.objects.filter(submission_fingerprint=fingerprint, created_at__gte=since).order_by("id")
    pk = earlier.values_list("pk", flat=True).first()
    return None if pk is None else Report.objects.get(pk=pk)


def _count_submission(actor: User | None, client_ip: str) -> None:
    count_attempt(
        "report-submit-ip",
        client_ip,
        limit=settings.INTAKE_SUBMISSIONS_PER_HOUR_PER_IP,
        window_seconds=HOUR,
        message="Too many reports from your network in the last hour. Please wait before sending more.",
    )
    if actor is None:
        count_attempt(
            "report-submit-anonymous-ip",
            client_ip,
            limit=settings.INTAKE_ANONYMOUS_SUBMISSIONS_PER_HOUR_PER_IP,
            window_seconds=HOUR,
            message="Too many anonymous reports from your network in the last hour. "
            "Sign in to send more, or wait an hour.",
        )
    else:
        count_attempt(
            "report-submit-account",
            str(actor.pk),
            limit=settings.INTAKE_SUBMISSIONS_PER_HOUR_PER_ACCOUNT,
            window_seconds=HOUR,
            message="You have sent many reports in the last hour. Please wait before sending more.",
        )


def check_submission(submission: ReportSubmission, *, actor: User | None) -> None:
    """Raise RuleViolation if `submit_report` would refuse this submission's fields; saves nothing (previews)."""
    _cleaned(submission, default_credit_name=actor.display_name if actor else None)


@transaction.atomic
def submit_report(
    submission: ReportSubmission,
    *,
    actor: User | None,
    client_ip: str | None = None,
    attachments: Sequence[Upload] = (),
) -> Receipt:
    """File a new report in state `new`, from a researcher account or anonymously (`actor=None`).

    A request from the web or the API passes its `client_ip` and counts against the rate limits
    first (RateLimited); in-process callers (the demo, imports) pass none. Then it checks every field (RuleViolation).
    The same title and description from the same sender within the duplicate window returns the
    earlier report instead of filing another. The acknowledgment mail goes out after commit (messaging's outbox for account holders).
    """
    if actor is not None and not can(actor, Permission.REPORT_SUBMIT):
        raise RuleViolation("Only researcher accounts can submit reports.")
    if client_ip is not None:
        _count_submission(actor, client_ip)
    fields = _cleaned(submission, default_credit_name=actor.display_name if actor else None)
    files = _checked_files(attachments, already=(0, 0))
    if actor is None:
        researcher = anonymous_reporter()
        sender = f"anonymous:{client_ip}:{fields['contact_email']}"
    else:
        # Lock the researcher's row so a double click can't slip two copies past the duplicate check.
        User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).get()
        researcher = actor
        sender = f"user:{actor.pk}"
        fields["contact_email"] = ""
    fingerprint = _fingerprint(sender, fields)
    tracking_token = secrets.token_urlsafe(32) if actor is None else ""

    duplicate = _recent_duplicate(fingerprint)
    if duplicate is not None:
        if tracking_token:
            # The earlier link's secret is not stored, so the resend gets a fresh one and the old one stops working.
            duplicate.tracking_token_hash = hash_tracking_token(tracking_token)
            duplicate.save(update_fields=["tracking_token_hash", "updated_at"])
        return Receipt(report=duplicate, is_new=False, tracking_token=tracking_token)

    report = Report(
        researcher=researcher,
        tracking_token_hash=hash_tracking_token(tracking_token) if tracking_token else "",
        submission_fingerprint=fingerprint,
        **fields,
    )
    report_prepared.send(sender=Report, report=report)  # scoring sets the preliminary priority
    report.save(force_insert=True)
    enter_initial_state(report, actor=actor, reason="" if actor else "Submitted anonymously.")
    _store_files(report, files, actor=actor)
    report_submitted.send(sender=Report, report=report)  # messaging queues an account holder's acknowledgment
    if actor is None and report.contact_email:
        # Not through a task or the outbox: the mail carries the tracking secret, which must wait in no table.
        transaction.on_commit(
            lambda: send_anonymous_acknowledgment(report, recipient=report.contact_email, tracking_token=tracking_token)
        )
    return Receipt(report=report, is_new=True, tracking_token=tracking_token)


# Attachments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed `check_upload`: its shown name, content kind, size and SHA-256."""

    file: Upload
    name: str
    kind: str
    size: int
    sha256: str


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _clean_name(name: str) -> str:
    # Keep only the last path component, without control characters: the name is shown, never used on disk.
    base = PurePosixPath((name or "").replace("\\", "/")).name
    cleaned = "".join(char for char in base if char.isprintable()).strip()
    return cleaned[-255:] or "attachment"


def check_upload(upload: Upload) -> CheckedFile:
    """Check one uploaded file against the attachment rules, or raise RuleViolation saying why.

    The rules: not empty, at most `INTAKE_ATTACHMENT_MAX_BYTES`, content (not name) of a kind in
    `INTAKE_ATTACHMENT_KINDS`, and no extension that claims another kind. Reads the file once
    (hash and sniffing) and rewinds it; stores nothing. Other apps that take files from
    researchers (message attachments) call this so every upload meets the same rules.
    The error's field is `attachments`.
    """
    name = _clean_name(upload.name or "")
    size = upload.size or 0
    if size == 0:
        raise RuleViolation(f"{name} is empty.", field="attachments")
    if size > settings.INTAKE_ATTACHMENT_MAX_BYTES:
        raise RuleViolation(
            f"{name} is {_megabytes(size)}; each file may be at most {_megabytes(settings.INTAKE_ATTACHMENT_MAX_BYTES)}."
            " Compress it or share a link in the description.",
            field="attachments",
        )
    digest, head = hashlib.sha256(), b""
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
    upload.seek(0)
    kind = sniff(head)
    allowed = settings.INTAKE_ATTACHMENT_KINDS
    if kind is None or kind not in allowed:
        labels = ", ".join(KINDS[name].label for name in allowed if name in KINDS)
        found = f" (its content is a {KINDS[kind].label})" if kind else ""
        raise RuleViolation(f"{name} is not a type of file we accept{found}. We accept: {labels}.", field="attachments")
    claimed = kind_claimed_by_name(name)
    if claimed is not None and claimed != kind:
        raise RuleViolation(
            f"{name} is named like a {KINDS[claimed].label}, but its content is a {KINDS[kind].label}. "
            "Give it the right extension, or send the original file.",
            field="attachments",
        )
    return CheckedFile(file=upload, name=name, kind=kind, size=size, sha256=digest.hexdigest())


def _checked_files(uploads: Sequence[Upload], *, already: tuple[int, int]) -> list[CheckedFile]:
    """Every file checked before any is stored; `already` is the report's (count, bytes) so far."""
    count, total = already
    if count + len(uploads) > settings.INTAKE_ATTACHMENTS_PER_REPORT:
        raise RuleViolation(
            f"A report can have at most {settings.INTAKE_ATTACHMENTS_PER_REPORT} attachments; "
            "put several files in one ZIP archive.",
            field="attachments",
        )
    checked = [check_upload(upload) for upload in uploads]
    total += sum(file.size for file in checked)
    if total > settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES:
        raise RuleViolation(
            f"Together the attachments are {_megabytes(total)}; a report may carry at most "
            f"{_megabytes(settings.INTAKE_REPORT_ATTACHMENTS_MAX_BYTES)}. Leave out or compress some files.",
            field="attachments",
        )
    return checked


class StoredFile(Protocol):
    file: FieldFile

    def save(self) -> None: ...


StoredT = TypeVar("StoredT", bound=StoredFile)


def store_checked_files(files: Sequence[CheckedFile], build: Callable[..., StoredT]) -> list[StoredT]:
    """Save each checked file's content and a row `build(original_name=, kind=, media_type=, size=, sha256=)`.

    Report attachments and message files alike. On any error the files already written are
    removed before it propagates: the database rolls back, the storage does not.
    """
    stored: list[StoredT] = []
    try:
        for checked in files:
            row = build(
                original_name=checked.name,
                kind=checked.kind,
                media_type=KINDS[checked.kind].media_type,
                size=checked.size,
                sha256=checked.sha256,
            )
            row.file.save("upload", checked.file, save=False)
            stored.append(row)
            row.save()
    except BaseException:
        delete_stored_files(stored)
        raise
    return stored


def delete_stored_files(stored: Sequence[StoredFile]) -> None:
    """Remove stored files' content, for work rolled back after `store_checked_files`."""
    for row in stored:
        row.file.delete(save=False)


def _store_files(report: Report, files: list[CheckedFile], *, actor: User | None) -> list[Attachment]:
    stored = store_checked_files(files, partial(Attachment, report=report, uploaded_by=actor))
    for attachment in stored:
        record_event(
            report,
            tag="report:attachment_added",
            actor=actor,
            changes={"attachment": (None, f"{attachment.original_name} sha256:{attachment.sha256}")},
        )
    return stored


@transaction.atomic
def add_attachments(report: Report, uploads: Sequence[Upload], *, actor: User | None) -> list[Attachment]:
    """Attach more files to a report: all of them, or none if one is refused.

    `actor` is the researcher who sent it, or None for an anonymous report's tracking-link holder
    (the caller has checked the token).
    """
    allowed = report.is_anonymous if actor is None else can(actor, Permission.REPORT_SUBMIT, report)
    if not allowed:
        raise RuleViolation("Only the researcher who sent the report can add files to it.")
    if not uploads:
        raise RuleViolation("Choose at least one file.", field="attachments")
    # Lock the report so two uploads at once cannot together pass the per-report limits.
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.is_closed:
        raise RuleViolation("This report is closed; send new findings as a new report.", field="attachments")
    existing = list(report.attachments.values_list("size", flat=True))
    files = _checked_files(uploads, already=(len(existing), sum(existing)))
    return _store_files(report, files, actor=actor)


# What the researcher may know of the case ---------------------------------------------------------


class Keep(enum.Enum):
    """`update_public_progress(..., agreed_disclosure_on=KEEP)`: leave the date as it is (None clears it)."""

    KEEP = enum.auto()


KEEP = Keep.KEEP


@transaction.atomic
def update_public_progress(
    reports: Iterable[Report],
    *,
    actor: User | None,
    is_fix_in_progress: bool | None = None,
    agreed_disclosure_on: dt.date | Keep | None = KEEP,
) -> list[Report]:
    """Set what the researchers of `reports` see of their case: fix in progress, agreed disclosure date.

    Called by triage's services (never by views) when a case starts or stops remediation, when
    a report joins a case, and when the case's agreed disclosure date changes; they have checked
    `actor`'s permission on the case. Arguments left at their default keep the current value.
    Each report that changes gets one audit event (`report:public_progress_changed`), which the
    researcher's timeline shows. Returns the reports that changed, saved.
    """
    wanted: dict[str, object] = {}
    if is_fix_in_progress is not None:
        wanted["is_fix_in_progress"] = is_fix_in_progress
    if agreed_disclosure_on is not KEEP:
        if agreed_disclosure_on is not None and not isinstance(agreed_disclosure_on, dt.date):
            raise RuleViolation("The agreed disclosure date must be a date.", field="agreed_disclosure_on")
        wanted["agreed_disclosure_on"] = agreed_disclosure_on
    ids = [report.pk for report in reports]
    if not wanted or not ids:
        return []
    # Lock in id order, as every bulk writer should, so two cases updating shared reports cannot deadlock.
    locked = list(Report.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    changed: list[Report] = []
    for report in locked:
        changes = {
            field: (getattr(report, field), value) for field, value in wanted.items() if getattr(report, field) != value
        }
        if not changes:
            continue
        for field, (_, value) in changes.items():
            setattr(report, field, value)
        report.updated_at = timezone.now()
        changed.append(report)
        record_event(report, tag=PUBLIC_PROGRESS_CHANGED, actor=actor, changes=changes)
    Report.objects.bulk_update(changed, [*wanted, "updated_at"])
    return changed


# The disclosure policy --------------------------------------------------------------------------


@transaction.atomic
def publish_policy(*, body: str, change_note: str, actor: User) -> DisclosurePolicy:
    """Put a new version of the disclosure policy in force; earlier versions stay in the history."""
    if not can(actor, Permission.POLICY_EDIT):
        raise RuleViolation("Only administrators can change the disclosure policy.")
    body, change_note = body.strip(), change_note.strip()
    if not body:
        raise RuleViolation("The policy cannot be empty.", field="body")
    if not change_note:
        raise RuleViolation("Say in a few words what changed; the history shows it.", field="change_note")
    policy = DisclosurePolicy.objects.create(body=body, change_note=change_note, created_by=actor)
    record_event(policy, tag="policy:published", actor=actor, rationale=change_note)
    return policy
