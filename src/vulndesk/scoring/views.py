"""Staff scoring pages: the vulnerability list by priority, a vulnerability's scoring page, the
CVSS calculator and threat data imports. Each POST fetches with permission, validates one form
and calls one scoring service; a broken rule re-renders the page with the message at the form."""

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from vulndesk.accounts.models import User
from vulndesk.core.errors import RuleViolation
from vulndesk.core.permissions import Permission, can
from vulndesk.core.portal import paginate, signed_in_user
from vulndesk.core.taxonomy import ImpactType
from vulndesk.lib.cvss_calculator import Calculator, calculator_for, calculator_from_form
from vulndesk.scoring.forms import (
    AffectedCustomersForm,
    ComponentCveForm,
    DeployerSsvcForm,
    ExploitabilityForm,
    PriorityOverrideForm,
    ProductSeverityForm,
    ScoreForm,
    SsvcForm,
    ThreatImportForm,
)
from vulndesk.scoring.models import ExploitabilityAssessment, SsvcAssessment, Vulnerability
from vulndesk.scoring.priority import ACTIONS
from vulndesk.scoring.selectors import (
    case_fix_clock,
    get_vulnerability_for_user,
    list_exploitability_of,
    list_product_severities_of,
    list_score_changes,
    list_ssvc_assessments_of,
    list_threat_imports,
    list_threat_matches,
    list_vulnerabilities_for_user,
)
from vulndesk.scoring.services import (
    VulnerabilityDetails,
    add_component_cve,
    assess_exploitability,
    assess_product_severity,
    decide_ssvc,
    import_epss,
    import_kev,
    override_priority,
    priority_of,
    record_ssvc_decision,
    set_affected_customers,
    severity_conditions,
    update_vulnerability,
)
from vulndesk.scoring.threat_files import ThreatFileError, parse_epss, parse_kev


def _staff(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not can(user, Permission.VULNERABILITY_VIEW):
        raise PermissionDenied
    return user


@login_required
@require_safe
def vulnerability_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    vulnerabilities = list_vulnerabilities_for_user(user).order_by("priority", "-created_at", "-id")
    return render(request, "scoring/vulnerability_list.html", {"page": paginate(request, vulnerabilities)})


def _detail(request: HttpRequest, vulnerability: Vulnerability, *, status: int = 200, **overrides: Any) -> HttpResponse:
    """The scoring page, with fresh forms except those given (bound, with errors) in `overrides`."""
    user = signed_in_user(request)
    current_exploitability = list_exploitability_of(vulnerability).first()
    priority = priority_of(vulnerability)
    in_force = vulnerability.priority if vulnerability.priority is not None else priority.level
    context = {
        "vulnerability": vulnerability,
        "can_manage": can(user, Permission.VULNERABILITY_MANAGE, vulnerability),
        "calc": calculator_for(vulnerability.cvss_vector),
        "score_form": ScoreForm(prefix="score"),
        "severity_form": ProductSeverityForm(prefix="severity", initial={"impact_type": vulnerability.impact_type}),
        "exploitability_form": ExploitabilityForm(
            prefix="exploitability",
            initial={
                "latest_release": current_exploitability.latest_release,
                "older_releases": current_exploitability.older_releases,
                "is_publicly_disclosed": current_exploitability.is_publicly_disclosed,
                "is_exploited": current_exploitability.is_exploited,
            }
            if current_exploitability
            else {"latest_release": "less_likely", "older_releases": "less_likely"},
        ),
        "ssvc_form": SsvcForm(prefix="ssvc", initial=_ssvc_suggestion(vulnerability, current_exploitability)),
        "deployer_form": DeployerSsvcForm(
            prefix="deployer",
            initial={"exploitation": _ssvc_suggestion(vulnerability, current_exploitability)["exploitation"]},
        ),
        "priority_form": PriorityOverrideForm(prefix="priority"),
        "customers_form": AffectedCustomersForm(
            prefix="customers", initial={"affected_customers": vulnerability.affected_customers}
        ),
        "component_form": ComponentCveForm(prefix="component"),
        "product_severities": list_product_severities_of(vulnerability),
        "exploitability": current_exploitability,
        "ssvc": _latest_ssvc(vulnerability, SsvcAssessment.Tree.SUPPLIER),
        "deployer_ssvc": _latest_ssvc(vulnerability, SsvcAssessment.Tree.DEPLOYER),
        "threat_matches": list_threat_matches(vulnerability),
        "history": list_score_changes(vulnerability)[:50],
        "priority": priority,
        "in_force": in_force,
        "action": ACTIONS[in_force],
        "fix_clock": case_fix_clock(vulnerability),
    } | overrides
    return render(request, "scoring/vulnerability_detail.html", context, status=status)


def _latest_ssvc(vulnerability: Vulnerability, tree: str) -> SsvcAssessment | None:
    return list_ssvc_assessments_of(vulnerability).filter(tree=tree).first()


def _ssvc_suggestion(vulnerability: Vulnerability, exploitability: ExploitabilityAssessment | None) -> dict[str, str]:
    """Starting values the analyst confirms: Exploitation from the exploitability assessment,
    Technical Impact total for code execution and elevation (the attacker controls the system)."""
    exploitation = "none"
    if exploitability is not None and exploitability.is_exploited:
        exploitation = "active"
    elif exploitability is not None and exploitability.is_publicly_disclosed:
        exploitation = "PoC"
    total = vulnerability.impact_type in (ImpactType.REMOTE_CODE_EXECUTION, ImpactType.ELEVATION_OF_PRIVILEGE)
    return {"exploitation": exploitation, "technical_impact": "total" if total else "partial"}


def _for_change(request: HttpRequest, vulnerability_id: int) -> tuple[User, Vulnerability]:
    """The vulnerability, if the user may see it (else 404) and change it (else 403)."""
    user = signed_in_user(request)
    vulnerability = get_vulnerability_for_user(user, vulnerability_id)
    if not can(user, Permission.VULNERABILITY_MANAGE, vulnerability):
        raise PermissionDenied
    return user, vulnerability


@login_required
@require_safe
@ensure_csrf_cookie
def vulnerability_detail(request: HttpRequest, vulnerability_id: int) -> HttpResponse:
    # 404 for anyone who may not see it: a vulnerability's existence is itself confidential.
    return _detail(request, get_vulnerability_for_user(signed_in_user(request), vulnerability_id))


@login_required
@require_POST
def vulnerability_score(request: HttpRequest, vulnerability_id: int) -> HttpResponse:
    user, vulnerability = _for_change(request, vulnerability_id)
    calc = calculator_from_form(request.POST)
    form = ScoreForm(request.POST, prefix="score")
    # "Calculate" / "Read vector" without JavaScript: show the result, save nothing.
    if request.POST.get("cvss_action") or calc.error or not form.is_valid():
        return _detail(request, vulnerability, calc=calc, score_form=form, status=400 if calc.error else 200)
    details = VulnerabilityDetails(
        title=vulnerability.title,
        impact_type=vulnerability.impact_type,
        severity=vulnerability.severity,
        cve_id=vulnerability.cve_id,
        description=vulnerability.description,
        cwe=vulnerability.cwe,
        cvss_vector=calc.vector,
    )
    try:
        update_vulnerability(vulnerability, details, actor=user, rationale=form.cleaned_data["rationale"])
    except RuleViolation as error:
        calc.error = str(error)
        return _detail(request, vulnerability, calc=calc, score_form=form, status=400)
    messages.success(request, f"Score saved: {calc.vector}.")
    return redirect("vulnerability_detail", vulnerability.pk)


PanelForm = TypeVar("PanelForm", bound=forms.Form)
PanelAction = Callable[[User, Vulnerability, PanelForm], str]


def _panel_view(
    form_class: type[PanelForm], prefix: str, act: PanelAction[PanelForm]
) -> Callable[[HttpRequest, int], HttpResponse]:
    """The POST view of one panel of the scoring page (its form has `prefix`, and is `<prefix>_form`
    in the template): fetch with permission, validate the form, and let `act` call the service and
    say what was done. Bad input or a broken rule re-renders the page (400) with the message at
    that panel's form."""

    @login_required
    @require_POST
    def view(request: HttpRequest, vulnerability_id: int) -> HttpResponse:
        user, vulnerability = _for_change(request, vulnerability_id)
        form = form_class(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                done = act(user, vulnerability, form)
            except RuleViolation as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, done)
                return redirect("vulnerability_detail", vulnerability.pk)
        return _detail(request, vulnerability, status=400, **{f"{prefix}_form": form})

    view.__name__ = view.__qualname__ = f"vulnerability_{prefix}"  # names it in logs and tracebacks
    return view


def _rate_in_product(user: User, vulnerability: Vulnerability, form: ProductSeverityForm) -> str:
    data = form.cleaned_data
    conditions = severity_conditions(
        data["impact_type"],
        cvss_vector=vulnerability.cvss_vector if vulnerability.cvss_version in ("3.0", "3.1", "4.0") else "",
        attack_vector=data["attack_vector"] or None,
        requires_authentication=form.as_bool(data["requires_authentication"]),
        requires_user_interaction=form.as_bool(data["requires_user_interaction"]),
        is_default_configuration=data["is_default_configuration"],
        product_kind=data["product_kind"],
        chained_impact_type=data["chained_impact_type"] or None,
    )
    assessment = assess_product_severity(
        vulnerability, data["product"], conditions, actor=user, severity=data["severity"] or None,
        rationale=data["rationale"],
    )  # fmt: skip
    return (
        f"{assessment.product}: {assessment.get_severity_display()} "
        f"(bug bar: {assessment.get_proposed_severity_display()}, rule {assessment.proposed_by_rule})."
    )


def _assess_exploitability(user: User, vulnerability: Vulnerability, form: ExploitabilityForm) -> str:
    assess_exploitability(vulnerability, actor=user, **form.cleaned_data)
    return "Exploitability recorded; the vulnerability's followers are notified."


def _decide_supplier(user: User, vulnerability: Vulnerability, form: SsvcForm) -> str:
    values = {name: value for name, value in form.cleaned_data.items() if name != "rationale"}
    decision = decide_ssvc(SsvcAssessment.Tree.SUPPLIER, values)
    record_ssvc_decision(vulnerability, decision, actor=user, rationale=form.cleaned_data["rationale"])
    return f"SSVC: {decision.outcome}."


def _decide_deployer(user: User, vulnerability: Vulnerability, form: DeployerSsvcForm) -> str:
    decision = decide_ssvc(SsvcAssessment.Tree.DEPLOYER, form.tree_values())
    record_ssvc_decision(vulnerability, decision, actor=user, rationale=form.cleaned_data["rationale"])
    return f"SSVC (deployer): {decision.outcome}."


def _override_priority(user: User, vulnerability: Vulnerability, form: PriorityOverrideForm) -> str:
    level = int(form.cleaned_data["priority"]) if form.cleaned_data["priority"] else None
    override_priority(vulnerability, level, actor=user, rationale=form.cleaned_data["rationale"])
    return "Priority set by hand." if level is not None else "Priority computed again."


def _set_customers(user: User, vulnerability: Vulnerability, form: AffectedCustomersForm) -> str:
    data = form.cleaned_data
    set_affected_customers(vulnerability, data["affected_customers"], actor=user, rationale=data["rationale"])
    return "Affected customers recorded."


def _add_component(user: User, vulnerability: Vulnerability, form: ComponentCveForm) -> str:
    add_component_cve(vulnerability, form.cleaned_data["cve_id"], form.cleaned_data["component"], actor=user)
    return "Component CVE added; threat data is matched on it."


vulnerability_severity = _panel_view(ProductSeverityForm, "severity", _rate_in_product)
vulnerability_exploitability = _panel_view(ExploitabilityForm, "exploitability", _assess_exploitability)
vulnerability_ssvc = _panel_view(SsvcForm, "ssvc", _decide_supplier)
vulnerability_ssvc_deployer = _panel_view(DeployerSsvcForm, "deployer", _decide_deployer)
vulnerability_priority = _panel_view(PriorityOverrideForm, "priority", _override_priority)
vulnerability_customers = _panel_view(AffectedCustomersForm, "customers", _set_customers)
vulnerability_component = _panel_view(ComponentCveForm, "component", _add_component)


@require_safe
@ensure_csrf_cookie
def cvss_calculator(request: HttpRequest) -> HttpResponse:
    """The calculator on its own page, for anyone (it reveals nothing); `?cvss_vector=` opens a vector."""
    calc: Calculator = calculator_from_form(request.GET) if request.GET else calculator_for("")
    return render(request, "scoring/cvss_calculator.html", {"calc": calc})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def threat_data(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    can_import = can(user, Permission.VULNERABILITY_MANAGE)
    form = ThreatImportForm()
    status = 200
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        form = ThreatImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if form.cleaned_data["kind"] == "kev":
                    record = import_kev(parse_kev(upload.read()), file_name=upload.name, actor=user)
                else:
                    record = import_epss(parse_epss(upload.open("rb")), file_name=upload.name, actor=user)
            except ThreatFileError as error:
                form.add_error("file", f"{error}. Nothing was imported; fix the file and upload it again.")
            else:
                messages.success(
                    request,
                    f"Imported {record.rows:,} rows ({record.created:,} new, {record.updated:,} updated); "
                    f"{record.matched_vulnerabilities:,} vulnerabilities matched and were re-prioritized.",
                )
                return redirect("threat_data")
        status = 400
    context = {"form": form, "can_import": can_import, "imports": list_threat_imports()[:20]}
    return render(request, "scoring/threat_data.html", context, status=status)
