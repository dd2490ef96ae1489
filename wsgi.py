"""WSGI entry point: `gunicorn wsgi:app`."""
from syndicate import create_app

app = create_app()
