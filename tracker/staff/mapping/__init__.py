"""Links from recommendations to framework items: suggestions, confirmations, coverage."""
