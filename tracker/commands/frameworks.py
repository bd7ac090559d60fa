import click
frameworks_cli = click.Group("frameworks")
