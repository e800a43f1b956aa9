"""Vocabularies shared across the lifecycle (MSRC-style impact types and severities)."""

from django.db import models


class ImpactType(models.TextChoices):
    REMOTE_CODE_EXECUTION = "rce", "Remote Code Execution"
    ELEVATION_OF_PRIVILEGE = "eop", "Elevation of Privilege"
    INFORMATION_DISCLOSURE = "info", "Information Disclosure"
    DENIAL_OF_SERVICE = "dos", "Denial of Service"
    SECURITY_FEATURE_BYPASS = "sfb", "Security Feature Bypass"
    SPOOFING = "spoofing", "Spoofing"
    TAMPERING = "tampering", "Tampering"
    DEFENSE_IN_DEPTH = "did", "Defense in Depth"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    IMPORTANT = "important", "Important"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"
