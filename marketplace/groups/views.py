from flask import Blueprint

bp = Blueprint("groups", __name__)
