"""My work: what waits on the signed-in member of staff, the page staff land on after signing in."""
