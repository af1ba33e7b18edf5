"""`gunicorn wsgi:app` in production; `flask --app wsgi ...` for the CLI."""

from web import create_app

app = create_app()
