"""checkout: one open Checkout per address, its idempotency key and expiry

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('checkout_expires_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_signup_open_email'), ['open_email'])


def downgrade():
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_signup_open_email'), type_='unique')
        batch_op.drop_column('checkout_expires_at')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('open_email')
