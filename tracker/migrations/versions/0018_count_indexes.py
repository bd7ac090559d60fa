"""count indexes: covering indexes that let the list's state counts, the coverage matrix and the
API's total count from indexes instead of reading every recommendation's row

Revision ID: 0018_count_indexes
Revises: 0017_list_order_index
Create Date: 2026-12-02

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_count_indexes'
down_revision = '0017_list_order_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.create_index('ix_recommendation_counted', ['response_id', 'deleted_at', 'duplicate_of_id', 'id'],
                              unique=False)
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.create_index('ix_link_recommendation_status', ['recommendation_id', 'status', 'item_id'], unique=False)
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_live', ['recommendation_id', 'deleted_at', 'id', 'state', 'outcome',
                                                   'published_at'], unique=False)


def downgrade():
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_live')
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.drop_index('ix_link_recommendation_status')
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendation_counted')
