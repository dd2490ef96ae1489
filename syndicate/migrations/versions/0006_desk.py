"""desk: editors' email and sessions, the editorial log, idempotent requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:21:22

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotent_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['editor.id'], name=op.f('fk_idempotent_request_editor_id_editor'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_request')),
    sa.UniqueConstraint('editor_id', 'key', name=op.f('uq_idempotent_request_editor_id'))
    )
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotent_request_created_at'), ['created_at'], unique=False)

    op.create_table('editorial_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('editor_name', sa.String(length=200), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('headline', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['editor_id'], ['editor.id'], name=op.f('fk_editorial_log_editor_id_editor'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_editorial_log_entry_id_entry'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['story_id'], ['story.id'], name=op.f('fk_editorial_log_story_id_story'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_editorial_log'))
    )
    with op.batch_alter_table('editorial_log', schema=None) as batch_op:
        batch_op.create_index('ix_editorial_log_at', ['at', 'id'], unique=False)

    with op.batch_alter_table('editor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_editor_email'), ['email'])



def downgrade():
    with op.batch_alter_table('editor', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_editor_email'), type_='unique')
        batch_op.drop_column('session_version')
        batch_op.drop_column('email')

    with op.batch_alter_table('editorial_log', schema=None) as batch_op:
        batch_op.drop_index('ix_editorial_log_at')

    op.drop_table('editorial_log')
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotent_request_created_at'))

    op.drop_table('idempotent_request')
