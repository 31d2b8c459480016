"""spend, protections and usage: value basis, uplift cap, termination fee, prices, terms, meters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:05:00

A contract's value gets a basis (per term, year or month) so spend can be annualised, a renewal uplift
cap and a termination-for-convenience fee; prices change over time (one row per change, a ledger event
each). The protections a contract grants (training on our data, liability cap, exit, SLA …) are kept as
one JSON document per contract, checked by `tracker review`. Meters (caps, allowances, commitments per
period) and their usage records, idempotent on import.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_basis', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('renewal_uplift_cap', sa.Numeric(precision=6, scale=2), nullable=True))
        batch_op.add_column(sa.Column('termination_fee', sa.Numeric(precision=6, scale=2), nullable=True))
        batch_op.add_column(sa.Column('protections', sa.JSON(), nullable=True))

    op.create_table('price_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('uplift', sa.Numeric(precision=8, scale=2), nullable=True),
    sa.Column('above_cap', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_price_change_contract_id_contract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change'))
    )
    with op.batch_alter_table('price_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_change_contract_id'), ['contract_id'], unique=False)

    op.create_table('meter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(), nullable=False),
    sa.Column('limit', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('period', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_meter_contract_id_contract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter')),
    sa.UniqueConstraint('contract_id', 'name', name=op.f('uq_meter_contract_id_name'))
    )
    with op.batch_alter_table('meter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meter_contract_id'), ['contract_id'], unique=False)

    op.create_table('usage_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=2), nullable=False),
    sa.Column('total', sa.Boolean(), nullable=False),
    sa.Column('reset', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(), nullable=True),
    sa.Column('import_key', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_usage_record_meter_id_meter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_record')),
    sa.UniqueConstraint('meter_id', 'import_key', name=op.f('uq_usage_record_meter_id_import_key'))
    )
    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_record_meter_id'), ['meter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('usage_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_record_meter_id'))
    op.drop_table('usage_record')
    with op.batch_alter_table('meter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meter_contract_id'))
    op.drop_table('meter')
    with op.batch_alter_table('price_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_change_contract_id'))
    op.drop_table('price_change')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('protections')
        batch_op.drop_column('termination_fee')
        batch_op.drop_column('renewal_uplift_cap')
        batch_op.drop_column('value_basis')
