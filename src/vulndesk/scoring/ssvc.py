"""CERT/CC's Stakeholder-Specific Vulnerability Categorization (SSVC), supplier and deployer trees.

Encoded from the official decision tables in CERTCC/SSVC (data/csvs/supplier-options.csv,
deployer-options.csv and the child trees for Utility and Human Impact), copies of which sit
in ../shared/standards/ssvc; tests compare every row. The third-party `ssvc` package is not
used: the tables are the authority. Values are written as the tables write them.

Every decision point carries the version of its SSVC definition, and every decision returns
the points it used with their versions, so a stored decision says exactly what it meant.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DecisionPoint:
    key: str
    name: str
    version: str
    values: tuple[str, ...]

    def check(self, value: str) -> str:
        if value not in self.values:
            allowed = ", ".join(self.values)
            raise InvalidSsvcValue(f"{self.name} {self.version} has no value {value!r}; use one of: {allowed}.", self)
        return value


class InvalidSsvcValue(ValueError):
    def __init__(self, message: str, decision_point: DecisionPoint) -> None:
        self.decision_point = decision_point
        super().__init__(message)


EXPLOITATION = DecisionPoint("E", "Exploitation", "1.1.0", ("none", "PoC", "active"))
AUTOMATABLE = DecisionPoint("A", "Automatable", "2.0.0", ("no", "yes"))
VALUE_DENSITY = DecisionPoint("VD", "Value Density", "1.0.0", ("diffuse", "concentrated"))
UTILITY = DecisionPoint("U", "Utility", "1.0.1", ("laborious", "efficient", "super effective"))
TECHNICAL_IMPACT = DecisionPoint("TI", "Technical Impact", "1.0.0", ("partial", "total"))
PUBLIC_SAFETY_IMPACT = DecisionPoint("PSI", "Public Safety Impact", "2.0.1", ("minimal", "significant"))
EXPOSURE = DecisionPoint("EXP", "System Exposure", "1.0.1", ("small", "controlled", "open"))
SAFETY_IMPACT = DecisionPoint("SI", "Safety Impact", "1.0.0", ("None", "Minor", "Major", "Hazardous", "Catastrophic"))
MISSION_IMPACT = DecisionPoint(
    "MI", "Mission Impact", "1.0.0", ("None", "Degraded", "Crippled", "MEF Failure", "Mission Failure")
)
HUMAN_IMPACT = DecisionPoint("HI", "Human Impact", "2.0.0", ("low", "medium", "high", "very high"))
OUTCOMES = DecisionPoint(
    "DSOI", "Defer, Scheduled, Out-of-Cycle, Immediate", "1.0.0", ("defer", "scheduled", "out-of-cycle", "immediate")
)

# data/csvs/child_trees/utility.csv: (Automatable, Value Density) → Utility.
UTILITY_TABLE: dict[tuple[str, str], str] = {
    ("no", "diffuse"): "laborious",
    ("no", "concentrated"): "efficient",
    ("yes", "diffuse"): "efficient",
    ("yes", "concentrated"): "super effective",
}
# data/csvs/human-impact_v2.csv: (Situated Safety Impact, Mission Impact) → Human Impact.
HUMAN_IMPACT_TABLE: dict[tuple[str, str], str] = {
    **{(safety, mission): "low" for safety in ("None", "Minor") for mission in ("None", "Degraded", "Crippled")},
    **{(safety, "MEF Failure"): "medium" for safety in ("None", "Minor")},
    **{("Major", mission): "medium" for mission in ("None", "Degraded", "Crippled")},
    ("Major", "MEF Failure"): "high",
    **{("Hazardous", mission): "high" for mission in ("None", "Degraded", "Crippled", "MEF Failure")},
    **{(safety, "Mission Failure"): "very high" for safety in SAFETY_IMPACT.values},
    **{("Catastrophic", mission): "very high" for mission in MISSION_IMPACT.values},
}

# data/csvs/supplier-options.csv: (Exploitation, Utility, Technical Impact, Public Safety Impact) → outcome.
SUPPLIER_TABLE: dict[tuple[str, str, str, str], str] = {
    ("none", "laborious", "partial", "minimal"): "defer",
    ("none", "laborious", "partial", "significant"): "scheduled",
    ("none", "laborious", "total", "minimal"): "scheduled",
    ("none", "laborious", "total", "significant"): "out-of-cycle",
    ("none", "efficient", "partial", "minimal"): "scheduled",
    ("none", "efficient", "partial", "significant"): "out-of-cycle",
    ("none", "efficient", "total", "minimal"): "scheduled",
    ("none", "efficient", "total", "significant"): "out-of-cycle",
    ("none", "super effective", "partial", "minimal"): "scheduled",
    ("none", "super effective", "partial", "significant"): "out-of-cycle",
    ("none", "super effective", "total", "minimal"): "out-of-cycle",
    ("none", "super effective", "total", "significant"): "out-of-cycle",
    ("PoC", "laborious", "partial", "minimal"): "scheduled",
    ("PoC", "laborious", "partial", "significant"): "out-of-cycle",
    ("PoC", "laborious", "total", "minimal"): "scheduled",
    ("PoC", "laborious", "total", "significant"): "immediate",
    ("PoC", "efficient", "partial", "minimal"): "scheduled",
    ("PoC", "efficient", "partial", "significant"): "immediate",
    ("PoC", "efficient", "total", "minimal"): "out-of-cycle",
    ("PoC", "efficient", "total", "significant"): "immediate",
    ("PoC", "super effective", "partial", "minimal"): "out-of-cycle",
    ("PoC", "super effective", "partial", "significant"): "immediate",
    ("PoC", "super effective", "total", "minimal"): "out-of-cycle",
    ("PoC", "super effective", "total", "significant"): "immediate",
    ("active", "laborious", "partial", "minimal"): "out-of-cycle",
    ("active", "laborious", "partial", "significant"): "immediate",
    ("active", "laborious", "total", "minimal"): "out-of-cycle",
    ("active", "laborious", "total", "significant"): "immediate",
    ("active", "efficient", "partial", "minimal"): "out-of-cycle",
    ("active", "efficient", "partial", "significant"): "immediate",
    ("active", "efficient", "total", "minimal"): "out-of-cycle",
    ("active", "efficient", "total", "significant"): "immediate",
    ("active", "super effective", "partial", "minimal"): "immediate",
    ("active", "super effective", "partial", "significant"): "immediate",
    ("active", "super effective", "total", "minimal"): "immediate",
    ("active", "super effective", "total", "significant"): "immediate",
}
# data/csvs/deployer-options.csv: (Exploitation, Exposure, Automatable, Human Impact) → outcome.
DEPLOYER_TABLE: dict[tuple[str, str, str, str], str] = {
    ("none", "small", "no", "low"): "defer",
    ("none", "small", "no", "medium"): "defer",
    ("none", "small", "no", "high"): "scheduled",
    ("none", "small", "no", "very high"): "scheduled",
    ("none", "small", "yes", "low"): "defer",
    ("none", "small", "yes", "medium"): "scheduled",
    ("none", "small", "yes", "high"): "scheduled",
    ("none", "small", "yes", "very high"): "scheduled",
    ("none", "controlled", "no", "low"): "defer",
    ("none", "controlled", "no", "medium"): "scheduled",
    ("none", "controlled", "no", "high"): "scheduled",
    ("none", "controlled", "no", "very high"): "scheduled",
    ("none", "controlled", "yes", "low"): "scheduled",
    ("none", "controlled", "yes", "medium"): "scheduled",
    ("none", "controlled", "yes", "high"): "scheduled",
    ("none", "controlled", "yes", "very high"): "scheduled",
    ("none", "open", "no", "low"): "defer",
    ("none", "open", "no", "medium"): "scheduled",
    ("none", "open", "no", "high"): "scheduled",
    ("none", "open", "no", "very high"): "scheduled",
    ("none", "open", "yes", "low"): "scheduled",
    ("none", "open", "yes", "medium"): "scheduled",
    ("none", "open", "yes", "high"): "scheduled",
    ("none", "open", "yes", "very high"): "out-of-cycle",
    ("PoC", "small", "no", "low"): "defer",
    ("PoC", "small", "no", "medium"): "scheduled",
    ("PoC", "small", "no", "high"): "scheduled",
    ("PoC", "small", "no", "very high"): "scheduled",
    ("PoC", "small", "yes", "low"): "scheduled",
    ("PoC", "small", "yes", "medium"): "scheduled",
    ("PoC", "small", "yes", "high"): "scheduled",
    ("PoC", "small", "yes", "very high"): "scheduled",
    ("PoC", "controlled", "no", "low"): "defer",
    ("PoC", "controlled", "no", "medium"): "scheduled",
    ("PoC", "controlled", "no", "high"): "scheduled",
    ("PoC", "controlled", "no", "very high"): "scheduled",
    ("PoC", "controlled", "yes", "low"): "scheduled",
    ("PoC", "controlled", "yes", "medium"): "scheduled",
    ("PoC", "controlled", "yes", "high"): "scheduled",
    ("PoC", "controlled", "yes", "very high"): "out-of-cycle",
    ("PoC", "open", "no", "low"): "scheduled",
    ("PoC", "open", "no", "medium"): "scheduled",
    ("PoC", "open", "no", "high"): "scheduled",
    ("PoC", "open", "no", "very high"): "out-of-cycle",
    ("PoC", "open", "yes", "low"): "scheduled",
    ("PoC", "open", "yes", "medium"): "scheduled",
    ("PoC", "open", "yes", "high"): "out-of-cycle",
    ("PoC", "open", "yes", "very high"): "out-of-cycle",
    ("active", "small", "no", "low"): "scheduled",
    ("active", "small", "no", "medium"): "scheduled",
    ("active", "small", "no", "high"): "out-of-cycle",
    ("active", "small", "no", "very high"): "out-of-cycle",
    ("active", "small", "yes", "low"): "scheduled",
    ("active", "small", "yes", "medium"): "out-of-cycle",
    ("active", "small", "yes", "high"): "out-of-cycle",
    ("active", "small", "yes", "very high"): "out-of-cycle",
    ("active", "controlled", "no", "low"): "scheduled",
    ("active", "controlled", "no", "medium"): "scheduled",
    ("active", "controlled", "no", "high"): "out-of-cycle",
    ("active", "controlled", "no", "very high"): "out-of-cycle",
    ("active", "controlled", "yes", "low"): "out-of-cycle",
    ("active", "controlled", "yes", "medium"): "out-of-cycle",
    ("active", "controlled", "yes", "high"): "out-of-cycle",
    ("active", "controlled", "yes", "very high"): "out-of-cycle",
    ("active", "open", "no", "low"): "scheduled",
    ("active", "open", "no", "medium"): "out-of-cycle",
    ("active", "open", "no", "high"): "out-of-cycle",
    ("active", "open", "no", "very high"): "immediate",
    ("active", "open", "yes", "low"): "out-of-cycle",
    ("active", "open", "yes", "medium"): "out-of-cycle",
    ("active", "open", "yes", "high"): "immediate",
    ("active", "open", "yes", "very high"): "immediate",
}


@dataclass(frozen=True)
class SsvcDecision:
    tree: str  # "supplier" or "deployer"
    outcome: str
    # Decision point key → (name, version, value), in the order the tree reads them.
    inputs: Mapping[str, tuple[str, str, str]]

    @property
    def vector(self) -> str:
        """A compact record of the decision, e.g. `supplier E:none/U:laborious/TI:partial/PSI:minimal → defer`."""
        path = "/".join(f"{key}:{value}" for key, (_name, _version, value) in self.inputs.items())
        return f"{self.tree} {path} → {self.outcome}"


def _inputs(*pairs: tuple[DecisionPoint, str]) -> dict[str, tuple[str, str, str]]:
    return {point.key: (point.name, point.version, point.check(value)) for point, value in pairs}


def utility(automatable: str, value_density: str) -> str:
    return UTILITY_TABLE[AUTOMATABLE.check(automatable), VALUE_DENSITY.check(value_density)]


def human_impact(safety_impact: str, mission_impact: str) -> str:
    return HUMAN_IMPACT_TABLE[SAFETY_IMPACT.check(safety_impact), MISSION_IMPACT.check(mission_impact)]


def supplier_decision(
    *,
    exploitation: str,
    technical_impact: str,
    public_safety_impact: str,
    utility_value: str | None = None,
    automatable: str | None = None,
    value_density: str | None = None,
) -> SsvcDecision:
    """The supplier tree: give Utility, or Automatable and Value Density to derive it."""
    pairs: list[tuple[DecisionPoint, str]] = [(EXPLOITATION, exploitation)]
    if utility_value is None:
        if automatable is None or value_density is None:
            raise InvalidSsvcValue("Give Utility, or Automatable and Value Density to derive it.", UTILITY)
        pairs += [(AUTOMATABLE, automatable), (VALUE_DENSITY, value_density)]
        utility_value = utility(automatable, value_density)
    pairs += [
        (UTILITY, utility_value),
        (TECHNICAL_IMPACT, technical_impact),
        (PUBLIC_SAFETY_IMPACT, public_safety_impact),
    ]
    inputs = _inputs(*pairs)
    outcome = SUPPLIER_TABLE[exploitation, utility_value, technical_impact, public_safety_impact]
    return SsvcDecision("supplier", outcome, inputs)


def deployer_decision(
    *,
    exploitation: str,
    exposure: str,
    automatable: str,
    human_impact_value: str | None = None,
    safety_impact: str | None = None,
    mission_impact: str | None = None,
) -> SsvcDecision:
    """The deployer tree: give Human Impact, or Safety Impact and Mission Impact to derive it."""
    pairs: list[tuple[DecisionPoint, str]] = [
        (EXPLOITATION, exploitation),
        (EXPOSURE, exposure),
        (AUTOMATABLE, automatable),
    ]
    if human_impact_value is None:
        if safety_impact is None or mission_impact is None:
            raise InvalidSsvcValue("Give Human Impact, or Safety Impact and Mission Impact to derive it.", HUMAN_IMPACT)
        pairs += [(SAFETY_IMPACT, safety_impact), (MISSION_IMPACT, mission_impact)]
        human_impact_value = human_impact(safety_impact, mission_impact)
    pairs.append((HUMAN_IMPACT, human_impact_value))
    inputs = _inputs(*pairs)
    outcome = DEPLOYER_TABLE[exploitation, exposure, automatable, human_impact_value]
    return SsvcDecision("deployer", outcome, inputs)
