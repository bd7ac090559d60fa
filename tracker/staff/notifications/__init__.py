"""Staff: choose which emails you get (consultations.notifications)."""
