"""translations: a story's and an entry's source, and translations a correction left to review

Revision ID: 0016
Revises: 0015

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_story_translation_of_id'), ['translation_of_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_story_translation_of_id_story'), 'story',
                                    ['translation_of_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('needs_review', sa.Boolean(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_entry_translation_of_id'), ['translation_of_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_entry_translation_of_id_entry'), 'entry',
                                    ['translation_of_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_entry_translation_of_id_entry'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_entry_translation_of_id'))
        batch_op.drop_column('needs_review')
        batch_op.drop_column('translation_of_id')
    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_story_translation_of_id_story'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_story_translation_of_id'))
        batch_op.drop_column('translation_of_id')
