"""users, consultations and questions get a version column

One optimistic-locking scheme everywhere: admin edit forms carry the object's ``version_id``
like every other edit form, instead of the id of its newest audit event. Existing rows start
at version 1. The column is added with a server default (so existing rows get 1 and NOT NULL
holds on SQLite and PostgreSQL alike), which is then dropped: the models set the value.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLES = ('user', 'consultation', 'question')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=False, server_default=sa.text('1')))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('version_id', existing_type=sa.Integer(), existing_nullable=False,
                                  server_default=None)


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version_id')
