"""WSGI entry point of baseline (a): `gunicorn baseline_django.wsgi:application` with
scripts/bench and the repository root on the Python path (run.sh passes --pythonpath)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baseline_django.settings")

application = get_wsgi_application()
