"""retention: feed_network.hour indexed, for the hourly purge of old rows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feed_network', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_network_hour'), ['hour'], unique=False)


def downgrade():
    with op.batch_alter_table('feed_network', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_network_hour'))
