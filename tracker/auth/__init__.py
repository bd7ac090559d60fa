"""Signing in and out, the signed-in user, server-side sessions and sign-in throttling."""
