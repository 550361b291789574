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
    # Plain ADD COLUMN, not batch mode: SQLite's batch mode rebuilds the table and would drop
    # the expression index uq_batches_identity and the AUTOINCREMENT of batches.
    op.add_column("batches", sa.Column("settings", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("batches", sa.Column("results_stale", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("subject_results", sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    op.drop_column("subject_results", "details")
    op.drop_column("batches", "results_stale")
    op.drop_column("batches", "settings")
