"""The ledger of work: every sync window and report flow is a row before anything is queued (issue 11).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('endpoint', sa.String(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('QUEUED', 'PARKED', 'RUNNING', 'DONE', 'FAILED', name='workstate'), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued_by', sa.String(), nullable=True),
    sa.Column('lease_owner', sa.String(), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'endpoint', 'window_start', 'window_end')
    )
    with op.batch_alter_table('work_unit', schema=None) as batch_op:
        batch_op.create_index('ix_work_unit_state_due_at', ['state', 'due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('work_unit', schema=None) as batch_op:
        batch_op.drop_index('ix_work_unit_state_due_at')

    op.drop_table('work_unit')
    sa.Enum(name='workstate').drop(op.get_bind(), checkfirst=True)  # work_unit.state's type on PostgreSQL
