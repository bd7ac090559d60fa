"""Uploading written responses, several files at once."""
