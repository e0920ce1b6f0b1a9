"""Running an installation: its version, upgrades with a backup, repairs (docs/upgrade.md).

| module | what |
| --- | --- |
| ``version`` | this checkout's release and the migrations a database has |
| ``integrity`` | rows that point at rows that are gone: checked after every migration on SQLite |
| ``serving`` | the lock a serving process holds on its SQLite file, so that an upgrade refuses to run under it |
| ``backup`` | a copy of an SQLite file taken before it is migrated |
| ``repair`` | open tasks given back who may claim them (issue #21) |
| ``upgrade`` | ``python -m server upgrade``, ``repair-candidates`` and ``version`` |
"""
