"""rounds.output_sha256: the digest of the stored output document (recommend's state cache key)

Rounds solved before this revision get theirs computed here, one row at a time.

Revision ID: 0003_recapi
Revises: 0002
"""
import hashlib

from alembic import op
import sqlalchemy as sa


revision = '0003_recapi'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('output_sha256', sa.String(length=64), nullable=True))
    rounds = sa.table('rounds', sa.column('id', sa.String), sa.column('output_json', sa.Text),
                      sa.column('output_sha256', sa.String))
    conn = op.get_bind()
    ids = conn.execute(sa.select(rounds.c.id).where(rounds.c.output_json.is_not(None))).scalars().all()
    for round_id in ids:
        text = conn.execute(sa.select(rounds.c.output_json).where(rounds.c.id == round_id)).scalar()
        digest = hashlib.sha256(text.encode('utf-8')).hexdigest()
        conn.execute(sa.update(rounds).where(rounds.c.id == round_id).values(output_sha256=digest))


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('output_sha256')
