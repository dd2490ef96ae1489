"""entry plain text, kept beside the HTML for JSON-LD and teasers; members' renewal dates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 04:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_text', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_end', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_at_period_end', sa.Boolean(), server_default='0', nullable=False))

    # Existing bodies get their text once, here, rather than on every page view.
    from syndicate.text import plain_text

    bind = op.get_bind()
    entry = sa.table('entry', sa.column('id', sa.Integer), sa.column('body_html', sa.Text),
                     sa.column('body_text', sa.Text))
    write = entry.update().where(entry.c.id == sa.bindparam('row_id')).values(body_text=sa.bindparam('text'))
    # In batches, read by id range: an archive of a million entries is neither held in memory
    # nor written one statement at a time.
    last = 0
    while True:
        rows = bind.execute(sa.select(entry.c.id, entry.c.body_html).where(entry.c.id > last)
                            .order_by(entry.c.id).limit(2000)).all()
        if not rows:
            break
        bind.execute(write, [{'row_id': row_id, 'text': plain_text(html or '')} for row_id, html in rows])
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('cancel_at_period_end')
        batch_op.drop_column('period_end')
    with op.batch_alter_table('entry', schema=None) as batch_op:
        batch_op.drop_column('body_text')
