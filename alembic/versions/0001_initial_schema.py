"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 09:03:17.873597
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


import server.database

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('created_at', server.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['org_unit.id'], name=op.f('fk_org_unit_parent_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_unit')),
    sa.UniqueConstraint('code', name=op.f('uq_org_unit_code'))
    )
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_unit_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_unit_path'), ['path'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', server.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('username', name=op.f('uq_person_username'))
    )
    op.create_table('calendar_override',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('official', sa.Boolean(), nullable=False),
    sa.Column('updated_at', server.database.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_calendar_override_updated_by_id_person')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_override'))
    )
    op.create_table('position',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_position_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_position_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_position'))
    )
    with op.batch_alter_table('position', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_position_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_position_unit_role', ['org_unit_id', 'role'], unique=False)

    op.create_table('process_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source_name', sa.String(length=200), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('forms', sa.JSON(), nullable=False),
    sa.Column('starter', sa.String(length=200), nullable=True),
    sa.Column('start_form', sa.String(length=200), nullable=True),
    sa.Column('deployed_by_id', sa.Integer(), nullable=True),
    sa.Column('deployed_at', server.database.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deployed_by_id'], ['person.id'], name=op.f('fk_process_definition_deployed_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_process_definition_key_version'))
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_definition_key'), ['key'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=True),
    sa.Column('stage_label', sa.String(length=200), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', server.database.UTCDateTime(), nullable=False),
    sa.Column('updated_at', server.database.UTCDateTime(), nullable=False),
    sa.Column('completed_at', server.database.UTCDateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('engine_state', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_process_instance_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_process_instance_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['parent_id'], ['process_instance.id'], name=op.f('fk_process_instance_parent_id_process_instance')),
    sa.ForeignKeyConstraint(['started_by_id'], ['person.id'], name=op.f('fk_process_instance_started_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_process_instance_unit_state', ['org_unit_id', 'state'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', server.database.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('definition_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_audit_event_actor_id_person')),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_audit_event_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_audit_event_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_task_id'), ['task_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engine_task_id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=128), nullable=False),
    sa.Column('element_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('stage', sa.String(length=64), nullable=True),
    sa.Column('stage_label', sa.String(length=200), nullable=True),
    sa.Column('form', sa.String(length=200), nullable=True),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('bound_to_id', sa.Integer(), nullable=True),
    sa.Column('due_at', server.database.UTCDateTime(), nullable=True),
    sa.Column('due_estimated', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', server.database.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', server.database.UTCDateTime(), nullable=True),
    sa.Column('completed_at', server.database.UTCDateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['person.id'], name=op.f('fk_task_assignee_id_person')),
    sa.ForeignKeyConstraint(['bound_to_id'], ['person.id'], name=op.f('fk_task_bound_to_id_person')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['person.id'], name=op.f('fk_task_completed_by_id_person')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_task_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_task_org_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task')),
    sa.UniqueConstraint('engine_task_id', name=op.f('uq_task_engine_task_id'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_task_state_assignee', ['state', 'assignee_id'], unique=False)
        batch_op.create_index('ix_task_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_task_unit_state', ['org_unit_id', 'state'], unique=False)

    op.create_table('task_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_task_candidate_org_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_candidate_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_candidate'))
    )
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_candidate_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_task_candidate_unit_role', ['org_unit_id', 'role', 'task_id'], unique=False)


    if op.get_bind().dialect.name == "postgresql":
        # Subtree queries are prefix LIKEs on the materialised path.
        op.execute("CREATE INDEX ix_org_unit_path_pattern ON org_unit (path text_pattern_ops)")


def downgrade() -> None:
    with op.batch_alter_table('task_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidate_unit_role')
        batch_op.drop_index(batch_op.f('ix_task_candidate_task_id'))

    op.drop_table('task_candidate')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_unit_state')
        batch_op.drop_index('ix_task_state_due')
        batch_op.drop_index('ix_task_state_assignee')
        batch_op.drop_index(batch_op.f('ix_task_instance_id'))

    op.drop_table('task')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_task_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_instance_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_unit_state')
        batch_op.drop_index(batch_op.f('ix_process_instance_parent_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_definition_id'))

    op.drop_table('process_instance')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_definition_key'))

    op.drop_table('process_definition')
    with op.batch_alter_table('position', schema=None) as batch_op:
        batch_op.drop_index('ix_position_unit_role')
        batch_op.drop_index(batch_op.f('ix_position_person_id'))

    op.drop_table('position')
    op.drop_table('calendar_override')
    op.drop_table('person')
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_unit_path'))
        batch_op.drop_index(batch_op.f('ix_org_unit_parent_id'))

    op.drop_table('org_unit')
