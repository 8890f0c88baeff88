"""Project configuration: the environment (env.py), Django settings, URLs, WSGI and Celery."""
