"""Jinja2 templates for symbackprop (installed as the package ``symbackprop.templates``)."""
