"""Work that runs outside a request: bulk imports with progress and resuming, backup and restore."""
