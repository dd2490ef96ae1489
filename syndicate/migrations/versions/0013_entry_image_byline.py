"""entries: a lead image and an optional byline

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('byline', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_entry_image_id'), ['image_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_entry_image_id_image'), 'image', ['image_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_entry_image_id_image'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_entry_image_id'))
        batch_op.drop_column('byline')
        batch_op.drop_column('image_id')
