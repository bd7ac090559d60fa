"""Admin: staff users, their roles, passwords, sessions and sign-in locks."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from consultations import two_factor
from consultations import user_sessions as sessions
from consultations.users import ROLE_DESCRIPTIONS, add_user, set_password, update_user
from consultations.workflow import User
from tracker.auth import throttle
from tracker.auth.sign_in import admins_need_two_factor, session_limits, throttle_rules
from tracker.db import db
from tracker.staff.admin.forms import EditUserForm, NewUserForm, ResetPasswordForm
from tracker.staff.admin.views import bp
from tracker.web.editing import apply_edit
from tracker.web.roles import role_required


@bp.route("/admin/users")
@role_required("admin")
def users():
    """Every user (active ones first), in one query."""
    rows = db.session.scalars(select(User).order_by(User.active.desc(), func.lower(User.email))).all()
    return render_template("staff/admin/users.html", users=rows)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    form = NewUserForm()
    if request.method == "GET":
        return _render_new_user(form, 200)
    outcome = apply_edit(
        form,
        lambda: add_user(db.session, email=form.email.data, name=form.name.data, role=form.role.data,
                         password=form.password.data),
        lambda code, conflict: _render_new_user(form, code),
        error_field=form.email,
    )
    if outcome.refused:
        return outcome.page
    user = outcome.result
    flash(f"{user.name} ({user.email}) has been added with the role {user.role}.")
    return redirect(url_for("admin.users"))


def _render_new_user(form: NewUserForm, code: int):
    return render_template("staff/admin/new_user.html", form=form, role_descriptions=ROLE_DESCRIPTIONS), code


def _edit_user_form(user: User) -> EditUserForm:
    return EditUserForm(data={"name": user.name, "role": user.role, "active": "yes" if user.active else "no",
                              "version": user.version_id})


def _render_edit_user(user: User, form: EditUserForm, reset_form: ResetPasswordForm, conflict=None, code=200):
    return render_template("staff/admin/edit_user.html", user=user, form=form, reset_form=reset_form,
                           conflict=conflict, role_descriptions=ROLE_DESCRIPTIONS,
                           live_sessions=sessions.live_sessions(db.session, user, session_limits()),
                           lock=throttle.account_lock(db.session, throttle.account_key(user.email), throttle_rules()),
                           two_factor_on=two_factor.is_enabled(db.session, user.id),
                           two_factor_required=admins_need_two_factor(),
                           ), code


@bp.route("/admin/users/<id:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int):
    """Name, role and whether they can sign in; an admin cannot lock themselves out."""
    user = db.get_or_404(User, user_id)
    if request.method == "GET":
        return _render_edit_user(user, _edit_user_form(user), ResetPasswordForm(prefix="reset"))
    form = EditUserForm()
    outcome = apply_edit(
        form,
        lambda: update_user(db.session, user, name=form.name.data, role=form.role.data,
                            active=form.active.data == "yes", acting_user=g.user),
        lambda code, conflict: _render_edit_user(user, form, ResetPasswordForm(prefix="reset"), conflict, code),
        current=user, error_field=form.name,
    )
    if outcome.refused:
        return outcome.page
    flash(f"The changes to {user.name} ({user.email}) have been saved.")
    return redirect(url_for("admin.users"))


@bp.route("/admin/users/<id:user_id>/password", methods=["POST"])
@role_required("admin")
def reset_password(user_id: int):
    """Give a user a new password (for example when they have forgotten theirs)."""
    user = db.get_or_404(User, user_id)
    reset_form = ResetPasswordForm(prefix="reset")
    outcome = apply_edit(
        reset_form,
        # Resetting one's own password keeps this session and ends the others.
        lambda: set_password(db.session, user, reset_form.password.data,
                             keep=g.user_session if user.id == g.user.id else None, actor=g.user),
        lambda code, conflict: _render_edit_user(user, _edit_user_form(user), reset_form, code=code),
        error_field=reset_form.password,
    )
    if outcome.refused:
        return outcome.page
    flash(f"The password of {user.name} ({user.email}) has been reset. Give them the new password in a secure way.")
    return redirect(url_for("admin.users"))


@bp.route("/admin/users/<id:user_id>/sessions/end", methods=["POST"])
@role_required("admin")
def end_user_sessions(user_id: int):
    """Sign a user out everywhere (an admin doing it to themselves keeps this session)."""
    user = db.get_or_404(User, user_id)
    count = sessions.end_sessions(db.session, user, sessions.BY_ADMIN, actor=g.user,
                                  keep=g.user_session if user.id == g.user.id else None)
    db.session.commit()
    flash(f"{user.name} ({user.email}) has been signed out of {count} session{'s' if count != 1 else ''}.")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/admin/users/<id:user_id>/unlock", methods=["POST"])
@role_required("admin")
def unlock_user(user_id: int):
    """Let a user whose account was locked by failed sign-ins try again at once."""
    user = db.get_or_404(User, user_id)
    if throttle.clear_account(db.session, throttle.account_key(user.email)):
        sessions.record_event(db.session, user.id, "account unlocked", "by an admin", actor_id=g.user.id)
    db.session.commit()
    flash(f"The account of {user.name} ({user.email}) has been unlocked. They can sign in again now.")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/admin/users/<id:user_id>/two-factor/reset", methods=["POST"])
@role_required("admin")
def reset_two_factor(user_id: int):
    """Remove a user's two-factor sign-in (a lost phone and lost recovery codes). Their sessions
    end too, so whoever might hold the phone is not left signed in."""
    user = db.get_or_404(User, user_id)
    try:
        two_factor.turn_off(db.session, user, actor=g.user, admins_required=admins_need_two_factor())
    except two_factor.TwoFactorError as refusal:
        db.session.rollback()
        flash(str(refusal))
        return redirect(url_for("admin.edit_user", user_id=user.id))
    sessions.end_sessions(db.session, user, sessions.BY_ADMIN, actor=g.user,
                          keep=g.user_session if user.id == g.user.id else None)
    db.session.commit()
    flash(f"Two-factor sign-in of {user.name} ({user.email}) has been reset.")
    return redirect(url_for("admin.edit_user", user_id=user.id))
