"""publication stamp: one row whose token changes with anything public, for the public pages' caches

Revision ID: 0016_publication_stamp
Revises: 0015_personal_data
Create Date: 2026-12-02

"""
import datetime as dt
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_publication_stamp'
down_revision = '0015_personal_data'
branch_labels = None
depends_on = None


def upgrade():
    stamp = op.create_table(
        'publication_stamp',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_stamp')),
    )
    op.bulk_insert(stamp, [{'id': 1, 'token': uuid.uuid4().hex,
                            'changed_at': dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}])


def downgrade():
    op.drop_table('publication_stamp')
