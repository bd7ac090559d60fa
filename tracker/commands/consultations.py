import click
consultations_cli = click.Group("consultations")
