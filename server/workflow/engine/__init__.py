"""The one package that talks to SpiffWorkflow."""
