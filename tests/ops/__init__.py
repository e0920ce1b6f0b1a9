"""Operating the server: upgrades."""
