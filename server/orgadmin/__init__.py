"""Keeping the organisation in the product (issue 15; docs/org.md).

* ``authority``: who may change what (an ``org_admin`` over the unit or the person);
* ``units``: create, rename, move units (subtree paths in one statement);
* ``dissolving``: what runs in a unit, and dissolving or merging it (refused while work runs);
* ``positions``: people, positions, appointments, who held a role on a day;
* ``moves``: transfer and deactivation, and the running work that stops waiting for the person;
* ``roster``: the xlsx roster: template, import (dry run, row/column errors), export.

A capability: it uses the workflow's overseer primitives (``server.workflow.control``) and the
inbox (``inbox.oversight``) to let running work go of a person, never writing engine state itself.
"""
