import click
from flask.cli import AppGroup

scheduler = AppGroup("scheduler", help="Scheduled jobs.")
