"""Sample rounds, audits, findings, rectification, escalation and visits (issue 4 onwards)."""
