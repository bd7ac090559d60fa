"""``users create`` and ``users list``: staff users from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from consultations.users import MIN_PASSWORD_LENGTH, UserError, create_user
from consultations.workflow import ROLES, User
from tracker.db import db

users_cli = AppGroup("users", help="Create and list staff users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.password_option(help=f"At least {MIN_PASSWORD_LENGTH} characters; asked for if not given.")
def create_user_command(email: str, role: str, name: str | None, password: str) -> None:
    """Create a staff user with a role."""
    try:
        user = create_user(db.session, email, role, password, name)
        db.session.commit()
    except UserError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} with the role {user.role}.")


@users_cli.command("list")
def list_users_command() -> None:
    """List users and their roles."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        click.echo(f"{user.email}  {user.role}{'' if user.active else '  (deactivated)'}")
