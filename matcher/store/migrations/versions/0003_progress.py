"""progress of a running round (stage, elapsed time, best value and bound so far)

Revision ID: 0003_progress
Revises: 0003_tokens
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_progress'
down_revision = '0003_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_json', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('progress_json')
