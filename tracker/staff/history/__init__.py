"""The audit history page of any audited object."""
