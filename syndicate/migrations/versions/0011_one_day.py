"""one live day per series and date; the headers a replayed answer repeats (a PATCH's ETag)

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.Text(), nullable=True))

    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_day', sa.Date(), nullable=True))

    # Existing live stories get their local day. Where two tabs already made two days of one series
    # on one date, the first keeps the day and the later ones keep none (they stay readable, and the
    # constraint below holds).
    from datetime import timezone

    from syndicate import timeutil

    bind = op.get_bind()
    story = sa.table('story', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                     sa.column('series', sa.String), sa.column('published_at', sa.DateTime),
                     sa.column('live_day', sa.Date))
    write = story.update().where(story.c.id == sa.bindparam('row_id')).values(live_day=sa.bindparam('day'))
    seen = set()
    last = 0
    while True:
        rows = bind.execute(sa.select(story.c.id, story.c.series, story.c.published_at)
                            .where(story.c.id > last, story.c.kind == 'live')
                            .order_by(story.c.id).limit(2000)).all()
        if not rows:
            break
        updates = []
        for row_id, series, published_at in rows:
            day = timeutil.local_day(published_at.replace(tzinfo=timezone.utc))
            if series is not None and (series, day) in seen:
                continue
            seen.add((series, day))
            updates.append({'row_id': row_id, 'day': day})
        if updates:
            bind.execute(write, updates)
        last = rows[-1][0]

    # A unique index, not a constraint: on SQLite a constraint means copying the story table, and
    # dropping the old copy would cascade to every entry.
    op.create_index('uq_story_series_live_day', 'story', ['series', 'live_day'], unique=True)


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), for the same reason: no copy of the story table.
    op.drop_index('uq_story_series_live_day', 'story')
    op.drop_column('story', 'live_day')
    op.drop_column('idempotent_request', 'headers')
