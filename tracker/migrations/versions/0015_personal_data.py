"""personal data: redactions of a response's text before publication and when a response was reviewed for them; retention per consultation; when a respondent was anonymised

Revision ID: 0015_personal_data
Revises: 0014_search_documents
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_personal_data'
down_revision = '0014_search_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'redaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('start_offset', sa.Integer(), nullable=False),
        sa.Column('end_offset', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_redaction_decided_by_id_user')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_redaction_response_id_response')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_redaction')),
    )
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redaction_response_id'), ['response_id'], unique=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redaction_reviewed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('redaction_reviewed_at')
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redaction_response_id'))
    op.drop_table('redaction')
