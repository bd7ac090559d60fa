"""Triage of responses: queue, assignment, consent, and correcting the extracted recommendations."""
