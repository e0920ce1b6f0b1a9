"""The task inbox: every read and write of task rows and of who may claim them.

``rows`` keeps them in step with the engine, ``queries`` lists them, ``actions`` claims and
hands them on, ``completion`` finishes one (the only use case that steps the engine from
here), ``reminders`` tells people when they fall due, ``instance_views`` shows an instance.
"""
