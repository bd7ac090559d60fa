"""Staff areas under /staff/: one package per area, each with its views (and forms). No area imports another; what two share lives in tracker.web."""
