"""The severity bug bar: rules that propose an MSRC-style severity from an impact type and conditions.

MSRC's Security Update Severity Rating System rates by *impact type* and the circumstances
an attacker needs, never by the CVSS score. The default rules below follow its definitions:

- Critical: code execution without user interaction (network worms, unavoidable common scenarios).
- Important: compromise of the confidentiality, integrity or availability of user data or
  resources, including scenarios with warnings or prompts.
- Moderate: significantly mitigated by authentication or a non-default configuration.
- Low: comprehensively mitigated.

Rules are tried in order; the first whose conditions all match fires. A condition left as
None matches anything. When a flaw can be chained with by-design behaviour into a higher
class (e.g. information disclosure of a secret that logs you in as the victim), it is rated
at that higher class: the caller passes `chained_impact_type` and the rules see that class.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from vulndesk.core.taxonomy import ImpactType, Severity

SEVERITY_ORDER = (Severity.LOW, Severity.MODERATE, Severity.IMPORTANT, Severity.CRITICAL)


def highest_severity(severities: Sequence[str]) -> str | None:
    """Critical > Important > Moderate > Low; None when there are none."""
    ranked = [SEVERITY_ORDER.index(Severity(value)) for value in severities]
    return SEVERITY_ORDER[max(ranked)].value if ranked else None


class AttackVector(enum.StrEnum):
    NETWORK = "network"
    ADJACENT = "adjacent"
    LOCAL = "local"
    PHYSICAL = "physical"


class ProductKind(enum.StrEnum):
    CLIENT = "client"
    SERVER = "server"
    ONLINE_SERVICE = "online_service"


@dataclass(frozen=True)
class Conditions:
    impact_type: str
    attack_vector: str = AttackVector.NETWORK
    requires_authentication: bool = False
    requires_user_interaction: bool = False
    is_default_configuration: bool = True
    product_kind: str | None = None  # None: not known (e.g. when measuring against published data)
    chained_impact_type: str | None = None

    @property
    def effective_impact_type(self) -> str:
        return self.chained_impact_type or self.impact_type


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    explanation: str
    impact_type: str | None = None
    attack_vector: str | None = None
    requires_authentication: bool | None = None
    requires_user_interaction: bool | None = None
    is_default_configuration: bool | None = None
    product_kind: str | None = None

    def matches(self, conditions: Conditions) -> bool:
        wanted = {
            "impact_type": (self.impact_type, conditions.effective_impact_type),
            "attack_vector": (self.attack_vector, conditions.attack_vector),
            "requires_authentication": (self.requires_authentication, conditions.requires_authentication),
            "requires_user_interaction": (self.requires_user_interaction, conditions.requires_user_interaction),
            "is_default_configuration": (self.is_default_configuration, conditions.is_default_configuration),
            "product_kind": (self.product_kind, conditions.product_kind),
        }
        return all(rule_value is None or rule_value == actual for rule_value, actual in wanted.values())


@dataclass(frozen=True)
class Proposal:
    severity: str
    rule: Rule
    conditions: Conditions

    @property
    def explanation(self) -> str:
        chained = ""
        if self.conditions.chained_impact_type:
            chained = (
                f" Rated as {ImpactType(self.conditions.chained_impact_type).label} because it chains with "
                f"by-design behaviour to that class."
            )
        return f"{Severity(self.severity).label} by rule '{self.rule.name}': {self.rule.explanation}{chained}"


I = ImpactType  # noqa: E741  # short alias keeps the table below readable
S = Severity
DEFAULT_RULES: tuple[Rule, ...] = (
    # Code execution.
    Rule("rce-non-default-config", S.MODERATE, "code execution only in a non-default configuration.",
         I.REMOTE_CODE_EXECUTION, is_default_configuration=False),
    Rule("rce-online-service", S.CRITICAL, "code execution in an online service the vendor operates.",
         I.REMOTE_CODE_EXECUTION, attack_vector=AttackVector.NETWORK, product_kind=ProductKind.ONLINE_SERVICE),
    Rule("rce-wormable", S.CRITICAL,
         "code execution over the network without authentication or user interaction (wormable, unavoidable).",
         I.REMOTE_CODE_EXECUTION, attack_vector=AttackVector.NETWORK, requires_authentication=False,
         requires_user_interaction=False),
    Rule("rce-mitigated", S.IMPORTANT,
         "code execution that needs user action, an account, or local or adjacent-network access.",
         I.REMOTE_CODE_EXECUTION),
    # Everything else in the default configuration compromises data or resources: Important.
    Rule("eop-non-default-config", S.MODERATE, "elevation only in a non-default configuration.",
         I.ELEVATION_OF_PRIVILEGE, is_default_configuration=False),
    Rule("eop", S.IMPORTANT, "an attacker gains rights they should not have (user to administrator or system).",
         I.ELEVATION_OF_PRIVILEGE),
    Rule("info-non-default-config", S.MODERATE, "disclosure only in a non-default configuration.",
         I.INFORMATION_DISCLOSURE, is_default_configuration=False),
    Rule("info", S.IMPORTANT, "targeted disclosure of data the attacker may not read.", I.INFORMATION_DISCLOSURE),
    Rule("dos-non-default-config", S.MODERATE, "denial of service only in a non-default configuration.",
         I.DENIAL_OF_SERVICE, is_default_configuration=False),
    Rule("dos-user-triggered", S.MODERATE, "denial of service the user must trigger themselves (temporary).",
         I.DENIAL_OF_SERVICE, requires_user_interaction=True),
    Rule("dos", S.IMPORTANT, "an attacker can make the product or system unavailable.", I.DENIAL_OF_SERVICE),
    Rule("sfb-non-default-config", S.MODERATE, "bypass only in a non-default configuration.",
         I.SECURITY_FEATURE_BYPASS, is_default_configuration=False),
    Rule("sfb", S.IMPORTANT, "a security feature (sandbox, signature check, policy) can be bypassed.",
         I.SECURITY_FEATURE_BYPASS),
    Rule("spoofing-non-default-config", S.LOW, "spoofing only in a non-default configuration.",
         I.SPOOFING, is_default_configuration=False),
    Rule("spoofing-user-interaction", S.MODERATE,
         "spoofed UI the user must be led to, in a specific scenario (significantly mitigated).",
         I.SPOOFING, requires_user_interaction=True),
    Rule("spoofing", S.IMPORTANT, "spoofed UI or identity users rely on for trust decisions.", I.SPOOFING),
    Rule("tampering-non-default-config", S.MODERATE, "tampering only in a non-default configuration.",
         I.TAMPERING, is_default_configuration=False),
    Rule("tampering", S.IMPORTANT, "an attacker can modify data or settings they may not.", I.TAMPERING),
    Rule("defense-in-depth", S.LOW, "no direct attack; a hardening change (comprehensively mitigated).",
         I.DEFENSE_IN_DEPTH),
)  # fmt: skip


class NoRuleMatched(LookupError):
    pass


def propose_severity(conditions: Conditions, rules: Sequence[Rule] = DEFAULT_RULES) -> Proposal:
    """The first rule matching `conditions`, or NoRuleMatched when the bug bar has a gap."""
    for rule in rules:
        if rule.matches(conditions):
            return Proposal(rule.severity, rule, conditions)
    raise NoRuleMatched(f"No bug bar rule matches {ImpactType(conditions.effective_impact_type).label}.")


_ATTACK_VECTORS = {
    "N": AttackVector.NETWORK,
    "A": AttackVector.ADJACENT,
    "L": AttackVector.LOCAL,
    "P": AttackVector.PHYSICAL,
}


def conditions_from_cvss(impact_type: str, metrics: dict[str, str], **overrides: object) -> Conditions:
    """Conditions derived from a CVSS 3.x/4.0 vector's metrics: attack vector, privileges, user interaction.

    Configuration and product kind are not in a vector; they default to "default" and
    "unknown" unless given in `overrides`.
    """
    values: dict[str, object] = {
        "impact_type": impact_type,
        "attack_vector": _ATTACK_VECTORS[metrics.get("AV", "N")],
        "requires_authentication": metrics.get("PR", "N") != "N",
        # 3.x: UI:R; 4.0: UI:P (passive) or UI:A (active).
        "requires_user_interaction": metrics.get("UI", "N") != "N",
    }
    return Conditions(**(values | overrides))  # type: ignore[arg-type]  # keys are Conditions' fields
