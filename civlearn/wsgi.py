import os

from django.core.wsgi import get_wsgi_application

from civlearn.core.front import FrontHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civlearn.settings")

# FRONT_ROUTES (the OAuth token endpoint) are answered before Django's full handler: civlearn/core/front.py.
application = FrontHandler(get_wsgi_application())
