"""Batch calculation settings, stale-results flag, item and dimension figures apart

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("batches") as batch_op:
        batch_op.add_column(sa.Column("settings", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("results_stale", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("subject_results") as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("subject_results") as batch_op:
        batch_op.drop_column("details")
    with op.batch_alter_table("batches") as batch_op:
        batch_op.drop_column("results_stale")
        batch_op.drop_column("settings")
