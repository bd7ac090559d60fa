"""Reading consultations, responses, recommendations and frameworks (staff view)."""
