"""Demo data: `vulndesk demo` seeds a fictional vendor's PSIRT with months of plausible history."""
