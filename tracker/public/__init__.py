"""What anyone may read: pages, feeds, downloads, public search and the JSON API, all through consultations.published's visibility rules."""
