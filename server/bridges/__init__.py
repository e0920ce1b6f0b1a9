"""Seams between capability packages: each module here is the one place where two families meet.

Capability packages (``server.campaign``, ``server.talks``...) never import each other
(an import-linter contract says so); where one family's event must move another, a
bridge here plugs a hook into the first that calls the second, and ``server.bootstrap``
installs it like any family.
"""
