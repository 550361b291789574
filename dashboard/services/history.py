"""History records of batches: what changed, before and after, who and when."""
from dashboard.extensions import db
from dashboard.models import BatchHistory


def record_change(batch, action, before, after, user, extra=None):
    """Add a history row listing each field whose value differs between before and after."""
    changes = {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in sorted(set(before) | set(after))
        if (before.get(name) or None) != (after.get(name) or None)
    }
    if extra:
        changes.update(extra)
    entry = BatchHistory(
        batch_id=batch.id,
        batch_code=batch.batch_code,
        action=action,
        changes=changes,
        user_id=user.id if user else None,
    )
    db.session.add(entry)
    return entry
