"""termination for convenience and the scheduler heartbeat

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:50:00

Contracts gain termination for convenience (the notice it takes, and when notice was sent: the day it
takes effect is computed from both). A heartbeat row per scheduler loop records the last completed pass, for /healthz and
`tracker status`.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('termination_notice', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('termination_sent_on', sa.Date(), nullable=True))

    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('worker', sa.String(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )


def downgrade() -> None:
    op.drop_table('heartbeat')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('termination_sent_on')
        batch_op.drop_column('termination_notice')
