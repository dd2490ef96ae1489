"""search: an index of every published entry's words, in its story's language

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_document',
    sa.Column('entry_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('embargo_until', sa.DateTime(), nullable=True),
    sa.Column('words', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_search_document_entry_id_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_search_document'))
    )
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_document_embargo_until'), ['embargo_until'], unique=False)
        batch_op.create_index('ix_search_document_language_published', ['language', 'published_at'], unique=False)

    from syndicate.search import index

    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    # The engine's own search structures: FTS5 and the triggers that feed it on SQLite (before the rows
    # go in), a GIN index on PostgreSQL (after: one build is quicker than a million insertions).
    for statement in (() if postgres else index.SQLITE_DDL):
        op.execute(statement)
    # Existing entries are indexed here, in batches by id (as 0004 fills body_text).
    index.fill(bind)
    for statement in (index.POSTGRES_DDL if postgres else ()):
        op.execute(statement)


def downgrade():
    from syndicate.search import index

    if op.get_bind().dialect.name == 'sqlite':
        for statement in index.SQLITE_DROP:
            op.execute(statement)
    op.drop_table('search_document')
