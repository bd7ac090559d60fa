"""The recommendations list across responses: filters, counts per state, sort and pages."""
