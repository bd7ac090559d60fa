"""answer templates: a reusable outcome and public rationale for drafting decisions in bulk

Revision ID: 0011_answer_templates
Revises: 0010_organisation_types
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_answer_templates'
down_revision = '0010_organisation_types'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'answer_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('outcome', sa.String(length=40), nullable=False),
        sa.Column('public_rationale', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_answer_template_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_template')),
        sa.UniqueConstraint('name', name=op.f('uq_answer_template_name')),
    )


def downgrade():
    op.drop_table('answer_template')
