"""languages: a member's, a sign-up's and a queued mail request's language; a tier's names in other languages

Revision ID: 0017
Revises: 0016

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, with no default: a row from before knows no language, and is written in the site's default.
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=35), nullable=True))
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=35), nullable=True))
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=35), nullable=True))
    with op.batch_alter_table('tier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('names', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('tier', schema=None) as batch_op:
        batch_op.drop_column('names')
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('signup', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('language')
