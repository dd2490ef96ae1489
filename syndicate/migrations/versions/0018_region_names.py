"""regions: a region's names in other languages

Revision ID: 0018
Revises: 0017

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: a region from before has only its plain name, which every language shows.
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('names', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_column('names')
