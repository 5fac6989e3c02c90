from flask import Blueprint

bp = Blueprint("groceries", __name__)
