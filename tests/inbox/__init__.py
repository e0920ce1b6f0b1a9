"""The inbox: listing, claiming, completing, and racing users."""
