"""The CVSS calculator's logic: metric pickers ↔ vector, for any form that offers one.

Framework-free so that scoring's pages and intake's submission form (which may not import
scoring) share one copy. The markup is scoring/_cvss_calculator.html (with `calc`, a
`Calculator`); scoring/static/scoring/cvss-calculator.js does the same in the browser and asks
POST /api/v1/scoring/cvss for the score. Without JavaScript the form goes to the server, which
reads either the pickers or the typed vector (`calculator_from_form`) and renders the score.
Metrics the pickers do not show (3.1 environmental, 4.0 environmental and supplemental) are
kept from a typed vector rather than dropped.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from vulndesk.lib.cvss_vectors import CvssScore, InvalidCvssVector, score_cvss_vector

Metric = tuple[str, str, tuple[tuple[str, str], ...]]  # key, label, ((value, label), …)

_IMPACT = (("H", "High"), ("L", "Low"), ("N", "None"))
METRICS: dict[str, dict[str, tuple[Metric, ...]]] = {
    "3.1": {
        "Base": (
            ("AV", "Attack Vector", (("N", "Network"), ("A", "Adjacent"), ("L", "Local"), ("P", "Physical"))),
            ("AC", "Attack Complexity", (("L", "Low"), ("H", "High"))),
            ("PR", "Privileges Required", (("N", "None"), ("L", "Low"), ("H", "High"))),
            ("UI", "User Interaction", (("N", "None"), ("R", "Required"))),
            ("S", "Scope", (("U", "Unchanged"), ("C", "Changed"))),
            ("C", "Confidentiality", _IMPACT),
            ("I", "Integrity", _IMPACT),
            ("A", "Availability", _IMPACT),
        ),
        "Temporal": (
            ("E", "Exploit Code Maturity", (("X", "Not Defined"), ("H", "High"), ("F", "Functional"),
                                            ("P", "Proof-of-Concept"), ("U", "Unproven"))),
            ("RL", "Remediation Level", (("X", "Not Defined"), ("U", "Unavailable"), ("W", "Workaround"),
                                         ("T", "Temporary Fix"), ("O", "Official Fix"))),
            ("RC", "Report Confidence", (("X", "Not Defined"), ("C", "Confirmed"), ("R", "Reasonable"),
                                         ("U", "Unknown"))),
        ),
    },
    "4.0": {
        "Base": (
            ("AV", "Attack Vector", (("N", "Network"), ("A", "Adjacent"), ("L", "Local"), ("P", "Physical"))),
            ("AC", "Attack Complexity", (("L", "Low"), ("H", "High"))),
            ("AT", "Attack Requirements", (("N", "None"), ("P", "Present"))),
            ("PR", "Privileges Required", (("N", "None"), ("L", "Low"), ("H", "High"))),
            ("UI", "User Interaction", (("N", "None"), ("P", "Passive"), ("A", "Active"))),
            ("VC", "Vulnerable System Confidentiality", _IMPACT),
            ("VI", "Vulnerable System Integrity", _IMPACT),
            ("VA", "Vulnerable System Availability", _IMPACT),
            ("SC", "Subsequent System Confidentiality", _IMPACT),
            ("SI", "Subsequent System Integrity", _IMPACT),
            ("SA", "Subsequent System Availability", _IMPACT),
        ),
        "Threat": (
            ("E", "Exploit Maturity", (("X", "Not Defined"), ("A", "Attacked"), ("P", "POC"), ("U", "Unreported"))),
        ),
    },
}  # fmt: skip
OPTIONAL_DEFAULT = "X"
PREFIX = {"3.1": "CVSS:3.1/", "4.0": "CVSS:4.0/"}


def picker_keys(version: str) -> list[str]:
    return [key for group in METRICS[version].values() for key, _label, _options in group]


@dataclass
class Calculator:
    version: str = "3.1"
    selected: dict[str, str] = field(default_factory=dict)
    extras: list[tuple[str, str]] = field(default_factory=list)  # metrics kept from a typed vector
    vector: str = ""
    score: CvssScore | None = None
    error: str = ""
    field_prefix: str = "cvss"
    # The pickers were read (a base metric was picked), not the typed vector: `vector` is
    # assembled from them, or empty with `error` when they do not make a vector.
    is_from_pickers: bool = False

    @property
    def versions(self) -> list[dict[str, object]]:
        """Per version: its groups of metric pickers with field names and selections, for the template."""
        return [
            {
                "version": version,
                "slug": version.replace(".", ""),
                "is_active": version == self.version,
                "groups": [
                    {
                        "name": group,
                        "metrics": [
                            {
                                "key": key,
                                "label": label,
                                "name": f"{self.field_prefix}_{version.replace('.', '')}_{key}",
                                "selected": self.selected.get(key, "") if version == self.version else "",
                                "options": options,
                                "is_base": group == "Base",
                            }
                            for key, label, options in metrics
                        ],
                    }
                    for group, metrics in groups.items()
                ],
            }
            for version, groups in METRICS.items()
        ]

    @property
    def extras_text(self) -> str:
        return "/".join(f"{key}:{value}" for key, value in self.extras)


def _from_vector(vector: str, *, field_prefix: str) -> Calculator:
    calculator = Calculator(vector=vector.strip(), field_prefix=field_prefix)
    if not calculator.vector:
        return calculator
    version = next((v for v, prefix in PREFIX.items() if calculator.vector.startswith(prefix)), None)
    try:
        calculator.score = score_cvss_vector(calculator.vector)
    except InvalidCvssVector as error:
        calculator.error = f"{error.metric}: {error}" if error.metric else str(error)
    if version is None:
        if not calculator.error and calculator.score:
            calculator.error = f"CVSS {calculator.score.version} is scored but not edited here; write 3.1 or 4.0."
        return calculator
    calculator.version = version
    keys = picker_keys(version)
    for part in calculator.vector.split("/")[1:]:
        key, _, value = part.partition(":")
        if key in keys:
            calculator.selected[key] = value
        elif key:
            calculator.extras.append((key, value))
    return calculator


def calculator_for(vector: str, *, field_prefix: str = "cvss") -> Calculator:
    """The calculator showing an existing vector (or empty pickers)."""
    return _from_vector(vector, field_prefix=field_prefix)


def _unknown_value(version: str, selected: Mapping[str, str]) -> str:
    """The error for the first picked value the metric does not have (a forged or stale form), else ""."""
    for group in METRICS[version].values():
        for key, label, options in group:
            value = selected.get(key)
            if value is not None and value not in dict(options):
                choices = ", ".join(f"{option_label} ({option})" for option, option_label in options)
                return f"{label} ({key}) has no value {value!r}; choose one of: {choices}."
    return ""


def calculator_from_form(data: Mapping[str, str], *, field_prefix: str = "cvss") -> Calculator:
    """Read a submitted calculator: the typed vector when asked to ('Read vector'), else the pickers.

    The pickers count once any base metric is picked: the optional groups always submit their
    "Not Defined" default, which alone must not override a typed vector. A value a metric does
    not have, or a missing base metric, sets `error` and leaves `vector` empty.
    """
    typed = data.get(f"{field_prefix}_vector", "").strip()
    if data.get(f"{field_prefix}_action") == "read":
        return _from_vector(typed, field_prefix=field_prefix)
    version = data.get(f"{field_prefix}_version", "3.1")
    if version not in METRICS:
        version = "3.1"
    calculator = Calculator(version=version, field_prefix=field_prefix)
    base = [key for key, _label, _options in next(iter(METRICS[version].values()))]
    for key in picker_keys(version):
        value = data.get(f"{field_prefix}_{version.replace('.', '')}_{key}", "")
        if value:
            calculator.selected[key] = value
    if not any(key in calculator.selected for key in base):
        # Nothing typed either: show the version asked for (switching versions without JavaScript).
        return (
            _from_vector(typed, field_prefix=field_prefix) if typed else Calculator(version, field_prefix=field_prefix)
        )
    calculator.is_from_pickers = True
    calculator.error = _unknown_value(version, calculator.selected)
    if calculator.error:
        return calculator
    missing = [key for key in base if key not in calculator.selected]
    if missing:
        calculator.error = f"Pick a value for {', '.join(missing)} (every base metric is needed)."
        return calculator
    # Keep metrics the pickers do not show, from the vector as it was typed, when of the same version.
    if typed.startswith(PREFIX[version]):
        keys = picker_keys(version)
        calculator.extras = [
            (key, value)
            for key, _, value in (part.partition(":") for part in typed.split("/")[1:])
            if key and key not in keys
        ]
    metrics = [
        f"{key}:{calculator.selected[key]}"
        for key in picker_keys(version)
        if key in calculator.selected and not (key not in base and calculator.selected[key] == OPTIONAL_DEFAULT)
    ]
    calculator.vector = PREFIX[version] + "/".join(metrics + [f"{k}:{v}" for k, v in calculator.extras])
    try:
        calculator.score = score_cvss_vector(calculator.vector)
    except InvalidCvssVector as error:
        calculator.error = f"{error.metric}: {error}" if error.metric else str(error)
    return calculator
