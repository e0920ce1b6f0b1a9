"""Accounts: passwords, sessions that can be ended, locks (issue 14 item 3, issue 15 item 5).

* ``passwords``: hashing, the rules a new password must meet, temporary passwords;
* ``sessions``: the key every cookie of a person carries, and ending all of them at once;
* ``service``: the use cases — log in, change my password, and for an ``org_admin`` over
  the person: reset a password, lock and unlock, log out everywhere — each audited;
* ``people``: who an administrator may act on, and the list of them.

docs/accounts.md tells the whole story.
"""
