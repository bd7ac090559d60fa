"""Decisions on recommendations: draft, approve, publish, revise."""
