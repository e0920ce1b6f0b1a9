"""The organisation: its tree of units, the people in it and the positions they hold."""
