"""The sign-in form."""
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired

from tracker.web.forms import Form


class SignInForm(Form):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter your password")])


class CodeForm(Form):
    """A code from the authenticator app (or, signing in, a recovery code)."""

    code = StringField("Code", widget=GovTextInput(),
                       validators=[DataRequired("Enter the code from your authenticator app")])


class TurnOffForm(Form):
    code = StringField("Code from your authenticator app", widget=GovTextInput(),
                       description="To turn two-factor sign-in off, show it is you: enter the code your app shows now.",
                       validators=[DataRequired("Enter the code from your authenticator app")])
