"""Activity ledgers (issue 18, docs/activities.md): recurring duties with quotas, service records
with photos, themed campaigns with unit reports.

* ``models.py``: programmes, records, themed campaigns and reports;
* ``catalogue.py``: the seeds' programmes as data; ``programmes.py``: define, edit, quota per member;
* ``periods.py``: months, quarters, years; ``quota.py``: due/done/missing/overdue, rolled up;
* ``records.py``: recording (the ``activity_report`` process), review, who sees a record;
* ``reminders.py``: the daily duty reminding members before a period ends;
* ``themed.py``: themed campaigns (seed 002) and the units' reports;
* ``views.py``: the quota view, record lists, the xlsx ledger; ``family.py``: the hooks.
"""
