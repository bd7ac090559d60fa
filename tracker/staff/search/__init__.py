"""Staff full-text search."""
