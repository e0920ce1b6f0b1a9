"""The vanguard campaign and the quarterly selection."""
