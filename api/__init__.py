"""The open-data JSON API v1 (a blueprint the portal registers)."""
