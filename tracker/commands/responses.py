import click
extract_command = click.Command("extract")
ingest_command = click.Command("ingest")
