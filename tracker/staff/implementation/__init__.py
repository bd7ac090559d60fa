"""Actions that implement decisions, their dated updates, and the dashboard."""
