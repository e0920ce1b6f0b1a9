"""Messages to people: the in-app list and the e-mail outbox."""
