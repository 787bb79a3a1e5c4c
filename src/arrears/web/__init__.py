"""The HTTP API (``/api/v1``) and the API tokens that guard it.

The FastAPI application is built by :func:`arrears.web.app.create_app`; it is not
imported here, so that the models can be registered without loading FastAPI.
"""

from arrears.web.models import ApiToken

__all__ = ["ApiToken"]
