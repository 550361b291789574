"""Results pages: a subject's overview, items, dimensions and school comparison; one school beside the region."""
from flask import Blueprint, render_template, request

from dashboard.services import batches, results
from dashboard.web import wants_fragment

bp = Blueprint("results", __name__, url_prefix="/batches/<int(max=2147483647):batch_id>/results")


@bp.get("/<subject>")
def subject(batch_id, subject):
    batch = batches.get_batch(batch_id)
    region = results.scope_figures(batch, subject)
    names = results.school_names(batch)
    rows, sort, direction = results.sorted_comparison(
        region, names, request.args.get("sort", "rank"), request.args.get("direction", "asc")
    )
    context = dict(batch=batch, subject=subject, region=region, comparison=rows, sort=sort, direction=direction)
    if wants_fragment():
        return render_template("results/_comparison.html", **context)
    return render_template(
        "results/subject.html", subjects=results.subject_names(batch), item_flags=results.item_flags, **context
    )


@bp.get("/<subject>/schools/<school_code>")
def school(batch_id, subject, school_code):
    batch = batches.get_batch(batch_id)
    return render_template(
        "results/school.html",
        batch=batch,
        subject=subject,
        school_code=school_code,
        school_name=results.school_names(batch).get(school_code, school_code),
        school=results.scope_figures(batch, subject, school_code),
        region=results.scope_figures(batch, subject),
        item_flags=results.item_flags,
    )
