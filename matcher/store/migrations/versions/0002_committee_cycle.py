"""committee cycle: lists, project lifecycle, audit events, token actors

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=200), nullable=True))
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('from_lists', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='proposed', nullable=False))
        batch_op.add_column(sa.Column('decided_at', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
    op.create_table('list_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('committee_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('community_id', sa.String(length=200), nullable=True),
    sa.Column('data_json', sa.Text(), nullable=False),
    sa.Column('origin_project_id', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'],
                            name=op.f('fk_list_entries_committee_id_committees'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entries')),
    sa.UniqueConstraint('committee_id', 'kind', 'entry_id', name='uq_list_entries_committee_kind_entry')
    )
    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_list_entries_committee_kind_status', ['committee_id', 'kind', 'status'], unique=False)
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('committee_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('before_json', sa.Text(), nullable=False),
    sa.Column('after_json', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'],
                            name=op.f('fk_audit_events_committee_id_committees'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('committee_id', 'seq', name='uq_audit_events_committee_seq')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_committee_kind', ['committee_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_committee_kind')
    op.drop_table('audit_events')
    with op.batch_alter_table('list_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_list_entries_committee_kind_status')
    op.drop_table('list_entries')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('status')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('from_lists')
        batch_op.drop_column('actor')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('actor')
