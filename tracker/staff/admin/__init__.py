"""Admin: users, consultations and their questions, frameworks, organisation types."""
