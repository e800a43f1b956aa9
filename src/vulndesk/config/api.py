"""The REST API, version 1: one NinjaAPI assembled from the apps' routers.

Plumbing (authentication, problem+json errors, pagination) lives in `vulndesk.core.api`;
docs/api.md is the guide for people calling it.
"""

from vulndesk.accounts.api import router as accounts_router
from vulndesk.advisories.api import router as advisories_router
from vulndesk.catalog.api import router as catalog_router
from vulndesk.core.api import AUTHENTICATED, VulndeskAPI, install_problem_handlers
from vulndesk.intake.api import router as intake_router
from vulndesk.messaging.api import router as messaging_router
from vulndesk.releases.api import router as releases_router
from vulndesk.remediation.api import router as remediation_router
from vulndesk.scoring.api import router as scoring_router
from vulndesk.triage.api import add_report_list
from vulndesk.triage.api import router as triage_router

api = VulndeskAPI(
    title="vulndesk API",
    version="1",
    description=(
        "Coordinated vulnerability disclosure: reports, cases, vulnerabilities, fixes, releases and advisories. "
        "Authenticate with `Authorization: Bearer vd_…` (or the web UI's session plus CSRF token). "
        "Errors are RFC 9457 `application/problem+json`."
    ),
    urls_namespace="api-v1",
    # Every operation needs a signed-in caller unless it says otherwise (public advisories).
    auth=AUTHENTICATED,
)
install_problem_handlers(api)

# GET /reports takes the queue's filters, which need triage; intake (which may not import triage)
# owns the /reports path, and ninja lets one router answer a path, so triage's list joins intake's
# router here (docs/decisions/0004).
add_report_list(intake_router)

# In the order a report moves through the lifecycle, which is also the docs' order.
for router in (
    accounts_router,
    catalog_router,
    intake_router,
    triage_router,
    scoring_router,
    remediation_router,
    releases_router,
    advisories_router,
    messaging_router,
):
    api.add_router("/", router)
