"""vulndesk: coordinated vulnerability disclosure for a vendor's security response team."""

__version__ = "0.1.0"
