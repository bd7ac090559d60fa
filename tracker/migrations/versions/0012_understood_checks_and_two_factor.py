"""respondents check what we understood (check links and their answers); two-factor sign-in

Revision ID: 0012_understood_checks
Revises: 0011_answer_templates
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_understood_checks'
down_revision = '0011_answer_templates'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'understood_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.String(length=32), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_by_id', sa.Integer(), nullable=True),
        sa.Column('submissions', sa.Integer(), nullable=False),
        sa.Column('last_answered_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_understood_check_created_by_id_user')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_understood_check_response_id_response')),
        sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_understood_check_revoked_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_understood_check')),
        sa.UniqueConstraint('token_id', name=op.f('uq_understood_check_token_id')),
    )
    op.create_index(op.f('ix_understood_check_response_id'), 'understood_check', ['response_id'], unique=False)
    op.create_table(
        'understood_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('check_id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('recommendation_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('shown_key', sa.String(length=30), nullable=True),
        sa.Column('shown_text', sa.Text(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('added_recommendation_id', sa.Integer(), nullable=True),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['added_recommendation_id'], ['recommendation.id'],
                                name=op.f('fk_understood_answer_added_recommendation_id_recommendation')),
        sa.ForeignKeyConstraint(['check_id'], ['understood_check.id'],
                                name=op.f('fk_understood_answer_check_id_understood_check')),
        sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_understood_answer_handled_by_id_user')),
        sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'],
                                name=op.f('fk_understood_answer_recommendation_id_recommendation')),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_understood_answer_response_id_response')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_understood_answer')),
    )
    op.create_index(op.f('ix_understood_answer_check_id'), 'understood_answer', ['check_id'], unique=False)
    op.create_index(op.f('ix_understood_answer_recommendation_id'), 'understood_answer', ['recommendation_id'],
                    unique=False)
    op.create_index(op.f('ix_understood_answer_response_id'), 'understood_answer', ['response_id'], unique=False)
    op.create_table(
        'user_two_factor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=True),
        sa.Column('recovery_hashes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_two_factor_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_two_factor')),
        sa.UniqueConstraint('user_id', name=op.f('uq_user_two_factor_user_id')),
    )


def downgrade():
    op.drop_table('user_two_factor')
    op.drop_index(op.f('ix_understood_answer_response_id'), table_name='understood_answer')
    op.drop_index(op.f('ix_understood_answer_recommendation_id'), table_name='understood_answer')
    op.drop_index(op.f('ix_understood_answer_check_id'), table_name='understood_answer')
    op.drop_table('understood_answer')
    op.drop_index(op.f('ix_understood_check_response_id'), table_name='understood_check')
    op.drop_table('understood_check')
