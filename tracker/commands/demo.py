import click
demo_cli = click.Group("demo")
