"""The run log read by `advance_watermark` (issue 12): one index on (account_id, endpoint,
window_end), so the read costs the account × endpoint's runs, not every run of the endpoint.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_harvest_run_account_endpoint_window_end', 'harvest_run',
                    ['account_id', 'endpoint', 'window_end'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_harvest_run_account_endpoint_window_end', table_name='harvest_run')
