"""organisation types become a controlled list

Respondents carried free text ("voluntary sector", "Voluntary sector organisation", "VCSE"), so
filters listed one kind several times and public naming guessed. This adds ``organisation_type``,
seeds the default list, points each respondent at the type its old text means (the domain's
matcher: case and punctuation ignored, the defaults' synonyms) and keeps every value nothing
matches as a type of its own, so no value is lost. Downgrade writes each type's name back as text.

Revision ID: 0010_organisation_types
Revises: 0009_decision_withdrawal
Create Date: 2026-12-02

"""
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

from consultations.organisation_types import DEFAULT_TYPES, describe, keyed, lookup


# revision identifiers, used by Alembic.
revision = '0010_organisation_types'
down_revision = '0009_decision_withdrawal'
branch_labels = None
depends_on = None


def upgrade():
    types = op.create_table('organisation_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('public_name', sa.String(length=150), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_type')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_type_name'))
    )
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_type_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_respondent_organisation_type_id'), ['organisation_type_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_respondent_organisation_type_id_organisation_type'),
                                    'organisation_type', ['organisation_type_id'], ['id'])

    connection = op.get_bind()
    seeded = [SimpleNamespace(id=i + 1, name=d.name, public_name=d.public_name, position=i)
              for i, d in enumerate(DEFAULT_TYPES)]
    op.bulk_insert(types, [{"id": t.id, "name": t.name, "public_name": t.public_name, "position": t.position,
                            "active": True, "version_id": 1} for t in seeded])
    by_key = keyed(seeded)
    respondent = sa.table('respondent', sa.column('id', sa.Integer), sa.column('organisation_type', sa.String),
                          sa.column('organisation_type_id', sa.Integer))
    rows = connection.execute(sa.select(respondent.c.id, respondent.c.organisation_type)
                              .where(respondent.c.organisation_type.is_not(None)).order_by(respondent.c.id)).all()
    for respondent_id, text in rows:
        text = " ".join(text.split())
        if not text:
            continue
        found = lookup(text, by_key)
        if found is None:  # kept as a type of its own, for an admin to rename or deactivate
            found = SimpleNamespace(id=len(seeded) + 1, name=text, public_name=describe(text), position=len(seeded))
            seeded.append(found)
            op.bulk_insert(types, [{"id": found.id, "name": found.name, "public_name": found.public_name,
                                    "position": found.position, "active": True, "version_id": 1}])
            by_key = keyed(seeded)
        connection.execute(respondent.update().where(respondent.c.id == respondent_id)
                           .values(organisation_type_id=found.id))
    if connection.dialect.name == "postgresql":  # ids were given explicitly: move the sequence on
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('organisation_type', 'id'), (SELECT MAX(id) FROM organisation_type))")

    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_column('organisation_type')


def downgrade():
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_type', sa.String(length=100), nullable=True))
    op.execute("UPDATE respondent SET organisation_type = "
               "(SELECT name FROM organisation_type WHERE organisation_type.id = respondent.organisation_type_id)")
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_respondent_organisation_type_id_organisation_type'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_respondent_organisation_type_id'))
        batch_op.drop_column('organisation_type_id')
    op.drop_table('organisation_type')
