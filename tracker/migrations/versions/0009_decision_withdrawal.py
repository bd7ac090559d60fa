"""published decisions are withdrawn, not deleted; consultations record when their outcome was published

``decision.withdrawn_at`` and ``decision.withdrawal_reason``: a withdrawn decision stays on the
public pages, which say when and why it was withdrawn instead of showing its outcome.
``consultation.outcome_published_on``: the date the consultation moved to "outcome published"
(every live recommendation answered by a published decision).

Revision ID: 0009_decision_withdrawal
Revises: 0008
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_decision_withdrawal'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_published_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('outcome_published_on')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('withdrawal_reason')
        batch_op.drop_column('withdrawn_at')
