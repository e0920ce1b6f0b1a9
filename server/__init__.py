"""Vanguard, the workflow server: ``server.app.create_app`` builds the web app, ``server.bootstrap`` wires it."""
