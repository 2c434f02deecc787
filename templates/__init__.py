"""The portal's Jinja templates, shipped as package data of `gongshi.templates`."""
