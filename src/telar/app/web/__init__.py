"""The local web app of ``telar serve`` (needs the ``web`` extra: Flask and waitress).

>>> from telar.app.web import create_app                     # doctest: +SKIP
>>> app = create_app("runs")       # a WSGI app: waitress.serve(app, host="127.0.0.1")
"""

from telar.app.web.app import create_app

__all__ = ["create_app"]
