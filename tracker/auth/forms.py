"""The sign-in form."""
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from tracker.web.forms import Form


class SignInForm(Form):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[DataRequired("Enter your password")])
