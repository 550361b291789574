"""Server-rendered pages: sign-in, batches, tasks, results, system."""
from flask import redirect, request


def wants_fragment():
    """True for htmx's own requests (polling, in-place updates); a boosted navigation wants the whole page."""
    return bool(request.htmx) and not request.htmx.boosted


def redirect_to(url):
    """A redirect that also moves the address bar when the request came from htmx."""
    if request.htmx:
        return "", 204, {"HX-Redirect": url}
    return redirect(url)
