"""list order index: response (received_on, id), the default order of the triage queue and the recommendations list

Revision ID: 0017_list_order_index
Revises: 0016_publication_stamp
Create Date: 2026-12-02

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_list_order_index'
down_revision = '0016_publication_stamp'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_received_on_id', ['received_on', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_received_on_id')
