"""The public pages: blueprints per concern, registered on the app by `init_app`."""
from gongshi.portal.web import install as init_app

__all__ = ["init_app"]
