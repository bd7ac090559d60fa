"""search documents: the PostgreSQL search backend's table (tsvector + GIN), written in the change's transaction

Revision ID: 0014_search_documents
Revises: 0013_outbox
Create Date: 2026-12-02

On SQLite (Whoosh is the search backend there) the table is created with plain columns and stays
empty; only PostgreSQL gets the tsvector and text[] types, and GIN (not b-tree) indexes.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0014_search_documents'
down_revision = '0013_outbox'
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table(
        'search_document',
        sa.Column('audience', sa.String(length=10), nullable=False),
        sa.Column('doc_id', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('extra', sa.Text(), nullable=True),
        sa.Column('facets', postgresql.ARRAY(sa.Text()) if postgres else sa.JSON(), nullable=True),
        sa.Column('date', sa.DateTime(), nullable=True),
        sa.Column('public', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Text(), nullable=True),
        sa.Column('tsv', postgresql.TSVECTOR() if postgres else sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('audience', 'doc_id', name=op.f('pk_search_document')),
    )
    # GIN on PostgreSQL; on SQLite plain indexes of an empty table (so the schema matches the models).
    op.create_index('ix_search_document_tsv', 'search_document', ['tsv'], postgresql_using='gin')
    op.create_index('ix_search_document_facets', 'search_document', ['facets'], postgresql_using='gin')


def downgrade():
    op.drop_index('ix_search_document_facets', table_name='search_document')
    op.drop_index('ix_search_document_tsv', table_name='search_document')
    op.drop_table('search_document')
